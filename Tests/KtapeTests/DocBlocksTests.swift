import Testing

/// The extractor on text made for the purpose, where each rule can be seen to bite.
@Suite struct DocBlocksTests {
    static let sample = """
        # Title

        ```sh
        ktape backup -b "$KAFKA" \\
          --topics a --store s3://bucket/prod
        # a comment
        ktape verify --store s3://bucket/prod   # exits 3
        ```

        <!-- not run: needs a real MSK cluster -->
        ```sh
        ktape backup --msk-iam -b b-1:9098
        ```

        1. A step:

           ```
           aws s3 sync s3://a s3://b
           ```

        ```ini
        ExecStart=/usr/bin/ktape backup --job /etc/ktape/nightly.yaml
        ```

        ```text
        backup 20261124T131352.732Z-all-9e2cdd38: 1 topics
        ```
        """

    @Test func commandsComeWithTheirLineAndStatus() throws {
        let blocks = try DocBlocks.parse(Self.sample, file: "x.md")
        #expect(blocks.map(\.line) == [3, 11, 17, 21, 25])
        let commands = blocks[0].commands
        #expect(commands.map(\.line) == [4, 7])
        #expect(commands[0].text == "ktape backup -b \"$KAFKA\" \\\n--topics a --store s3://bucket/prod")
        #expect(commands.map(\.expectedStatus) == [0, 3])
        #expect(commands[1].description == "x.md:7: ktape verify --store s3://bucket/prod   # exits 3")
        #expect(DocWorld.buckets(in: commands.map(\.text).joined(separator: "\n")) == ["bucket"])
    }

    @Test func marksAndLanguagesDecideWhatRuns() throws {
        let blocks = try DocBlocks.parse(Self.sample, file: "x.md")
        #expect(blocks.map(\.isRun) == [true, false, false, false, false])
        #expect(blocks[1].notRunReason == "needs a real MSK cluster")
        // Commands outside a run block: the untagged list-item block and the systemd line.
        #expect(blocks.map { $0.commandLines.map(\.number) } == [[4, 7], [12], [18], [22], []])
    }

    @Test func malformedMarksAndOpenBlocksAreErrors() {
        #expect(throws: DocBlocks.Problem.self) { try DocBlocks.parse("<!-- not run: -->\n```sh\nls\n```\n", file: "x.md") }
        #expect(throws: DocBlocks.Problem.self) { try DocBlocks.parse("<!-- not run -->\n```sh\nls\n```\n", file: "x.md") }
        #expect(throws: DocBlocks.Problem.self) { try DocBlocks.parse("```sh\nls\n", file: "x.md") }
    }
}
