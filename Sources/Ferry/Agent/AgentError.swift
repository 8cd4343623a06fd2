/// A failure that stops the agent from starting or running, with a code and a sentence for people.
public struct AgentError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable {
        /// Something needed at start is missing or refused (state directory, threads, producer).
        case startup
        /// The state directory is used by another agent.
        case locked
        /// The checkpoint cannot be written (after retries) at shutdown.
        case checkpoint
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
