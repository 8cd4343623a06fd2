import Foundation
import Testing

@testable import Ferry

@Suite("YAML subset parser")
struct YAMLParserTests {
    func parse(_ text: String) throws(YAMLError) -> YAMLNode { try YAMLParser.parse(text) }

    @Test("mappings, nested mappings, lists of scalars and of mappings, lists at their key's indentation")
    func structure() throws {
        let node = try parse("""
            # a comment
            state_dir: /var/lib/ferry   # trailing comment
            inputs:
              - name: app
                paths:
                  - /var/log/app/*.log
                  - "/var/log/other #1.log"
                topic: logs
              - name: sys
                paths: [/var/log/syslog, '/var/log/kern.log']
            output:
              kafka:
                bootstrap.servers: 127.0.0.1:9092
                linger.ms: 5
            list:
            - a
            - b
            """)
        let top = try #require(node.entries)
        #expect(top.map(\.key) == ["state_dir", "inputs", "output", "list"])
        #expect(top[0].value.scalar == "/var/lib/ferry")
        let inputs = try #require(top[1].value.items)
        #expect(inputs.count == 2)
        let first = try #require(inputs[0].entries)
        #expect(first.map(\.key) == ["name", "paths", "topic"])
        #expect(first[1].value.items?.compactMap(\.scalar) == ["/var/log/app/*.log", "/var/log/other #1.log"])
        let second = try #require(inputs[1].entries)
        #expect(second[1].value.items?.compactMap(\.scalar) == ["/var/log/syslog", "/var/log/kern.log"])
        let kafka = try #require(top[2].value.entries?.first?.value.entries)
        #expect(kafka.map(\.key) == ["bootstrap.servers", "linger.ms"])
        #expect(kafka[0].value.scalar == "127.0.0.1:9092")
        #expect(top[3].value.items?.compactMap(\.scalar) == ["a", "b"])
        #expect(first[1].line == 5 && first[1].column == 5)
    }

    @Test("quoted scalars, escapes, nulls, flow mappings, block scalars")
    func scalars() throws {
        let node = try parse("""
            a: "tab\\there \\"quoted\\" \\u00e9"
            b: 'it''s'
            c: ~
            d:
            e: {x: 1, y: [2, 3]}
            f: |
              line one
                indented
              line three
            g: >-
              folded
              text
            h: "null"
            """)
        let entries = try #require(node.entries)
        #expect(entries[0].value.scalar == "tab\there \"quoted\" é")
        #expect(entries[1].value.scalar == "it's")
        #expect(entries[2].value.value == .null && entries[3].value.value == .null)
        #expect(entries[4].value.entries?.map(\.key) == ["x", "y"])
        #expect(entries[5].value.scalar == "line one\n  indented\nline three\n")
        #expect(entries[6].value.scalar == "folded text")
        #expect(entries[7].value.value == .scalar("null", quoted: true))
    }

    @Test("errors carry line and column", arguments: [
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("a:\n\t- x\n", 2, "tabs are not allowed"),
        ("a: [1, 2\n", 1, "unterminated '['"),
        ("a: &anchor 1\n", 1, "anchors and aliases"),
        ("a: !!str 1\n", 1, "tags"),
        ("a: 1\n  b: 2\n", 2, "unexpected indentation"),
        ("a: 1\n---\nb: 2\n", 2, "only one YAML document"),
        ("a: \"open\n", 1, "unterminated double-quoted"),
        ("- a\nb: 1\n", 2, "unexpected content"),
    ])
    func errors(text: String, line: Int, message: String) {
        do {
            _ = try parse(text)
            Issue.record("expected an error for \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("an empty document, and a leading ---")
    func empty() throws {
        #expect(try parse("").value == .null)
        #expect(try parse("# only a comment\n\n").value == .null)
        #expect(try parse("---\na: 1\n").entries?.first?.key == "a")
    }

    @Test("CRLF line ends parse as LF ones (\"\\r\\n\" is one Swift Character), positions included")
    func crlf() throws {
        let lf = "a: 1\nb:\n  - x\n  - y # comment\nc: |\n  one\n  two\n"
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        let fromLF = try parse(lf)
        let fromCRLF = try parse(crlf)
        #expect(fromCRLF == fromLF)
        #expect(fromCRLF.entries?.map(\.key) == ["a", "b", "c"])
        #expect(fromCRLF.entries?.last?.value.value == .scalar("one\ntwo\n", quoted: true))
        #expect(fromCRLF.entries?.last?.value.line == 5)
    }

    @Test("a line starting with # inside a | or > block scalar is content, not a comment")
    func hashInBlockScalar() throws {
        let node = try parse("script: |\n  #!/bin/sh\n  # keep me\n  echo hi\n# a real comment\nnext: >\n  # folded\n  text\n")
        #expect(node.entries?.first?.value.value == .scalar("#!/bin/sh\n# keep me\necho hi\n", quoted: true))
        #expect(node.entries?.last?.value.value == .scalar("# folded text\n", quoted: true))
    }
}
