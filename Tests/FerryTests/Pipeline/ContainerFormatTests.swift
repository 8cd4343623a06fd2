import Testing

@testable import Ferry

@Suite("Container log formats")
struct ContainerFormatTests {
    func docker(_ line: String) -> (text: String, complete: Bool, stream: String?)? {
        var output: [UInt8] = []
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBytes { raw in
            guard let parsed = DockerJSONLine.parse(raw, into: &output) else { return nil }
            let stream = parsed.stream.map { String(decoding: bytes[$0], as: UTF8.self) }
            return (String(decoding: output[parsed.text], as: UTF8.self), parsed.complete, stream)
        }
    }

    @Test("docker json-file: log (unescaped, final newline removed) and stream; fields in any order")
    func dockerLines() throws {
        let first = try #require(docker(#"{"log":"hello \"world\"\n","stream":"stdout","time":"2024-01-01T00:00:00.000Z"}"#))
        #expect(first.text == "hello \"world\"" && first.complete && first.stream == "stdout")
        let reordered = try #require(docker(#"{"time":"t","stream":"stderr","attrs":{"a":[1,2]},"log":"tab\there \u00e9 \ud83d\ude80\r\n"}"#))
        #expect(reordered.text == "tab\there é 🚀" && reordered.complete && reordered.stream == "stderr")
        let partial = try #require(docker(#"{"log":"a piece without newline","stream":"stdout","time":"t"}"#))
        #expect(!partial.complete && partial.text == "a piece without newline")
    }

    @Test("not docker json: nil (the caller ships the raw line)", arguments: [
        "plain text", #"{"stream":"stdout"}"#, #"{"log":"unterminated}"#, #"{"log":"x"} trailing"#, "{}", #"{"log":"bad \q escape"}"#,
    ])
    func notDocker(line: String) {
        #expect(docker(line) == nil)
    }

    func cri(_ line: String) -> (stream: String, complete: Bool, text: String)? {
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBytes { raw in
            CRILine.parse(raw).map {
                (String(decoding: bytes[$0.stream], as: UTF8.self), $0.complete, String(decoding: bytes[$0.text], as: UTF8.self))
            }
        }
    }

    @Test("CRI: time stream tag text; P pieces and F lines; empty text; extra tag flags")
    func criLines() throws {
        let full = try #require(cri("2016-10-06T00:17:09.669794202Z stdout F the text with spaces"))
        #expect(full.stream == "stdout" && full.complete && full.text == "the text with spaces")
        let piece = try #require(cri("2016-10-06T00:17:09.669794202Z stderr P first part"))
        #expect(piece.stream == "stderr" && !piece.complete && piece.text == "first part")
        let empty = try #require(cri("2016-10-06T00:17:09.669794202Z stdout F"))
        #expect(empty.text == "")
        let flagged = try #require(cri("2016-10-06T00:17:09.669794202Z stdout F:x text"))
        #expect(flagged.text == "text")
        #expect(cri("just some text") == nil)
        #expect(cri("2016-10-06T00:17:09Z stdout X text") == nil)
    }
}
