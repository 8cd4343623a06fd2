/// Ferry's version, sent to brokers as the client software version and printed by `ferry version`.
public enum FerryVersion {
    /// The release version.
    public static let current = "0.1.0"
}
