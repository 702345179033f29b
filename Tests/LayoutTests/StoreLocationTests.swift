import Layout
import Testing
import JobSpec

struct StoreLocationTests {
    @Test func parsesTheThreeForms() throws {
        #expect(try StoreLocation.parse("s3://my-bucket").get() == .s3(bucket: "my-bucket", prefix: ""))
        #expect(try StoreLocation.parse("s3://my-bucket/backups/prod/").get() == .s3(bucket: "my-bucket", prefix: "backups/prod"))
        #expect(try StoreLocation.parse("file:///var/ktape").get() == .directory(path: "/var/ktape"))
        #expect(try StoreLocation.parse("file://localhost/var/ktape").get() == .directory(path: "/var/ktape"))
        #expect(try StoreLocation.parse("file:///var/kt%20ape").get() == .directory(path: "/var/kt ape"))
        #expect(try StoreLocation.parse("./ktape-demo").get() == .directory(path: "./ktape-demo"))
        #expect(try StoreLocation.parse("s3://b.example.com/x").get().description == "s3://b.example.com/x")
        // Paths that merely contain a colon or a double slash later on are still paths.
        #expect(try StoreLocation.parse("./backups:2026").get() == .directory(path: "./backups:2026"))
        #expect(try StoreLocation.parse("/var/s3//x").get() == .directory(path: "/var/s3//x"))
        #expect(try StoreLocation.parse("S3://my-bucket/p").get() == .s3(bucket: "my-bucket", prefix: "p"))
    }

    @Test(arguments: [
        ("", "is empty"),
        ("s3://", "names no bucket"),
        ("s3://Upper/x", "lower-case"),
        ("s3://ab", "3 to 63"),
        ("s3://-bucket", "begin and end"),
        // Signed as written, sent normalized: S3 answered SignatureDoesNotMatch.
        ("s3://bkt/../x", "cannot hold '.' or '..' segments"),
        ("s3://bkt/./y", "cannot hold '.' or '..' segments"),
        ("s3://bkt/a/..", "cannot hold '.' or '..' segments"),
        ("gs://bucket", "scheme 'gs'"),
        ("file://relative/path", "absolute"),
        // Mistyped URLs became local directories (./s3:/bad/topics/...) and the backup exited 0.
        ("s3:/bad", "is not an S3 URL"),
        ("s3:bucket/x", "is not an S3 URL"),
        ("s3//bucket/x", "mistyped s3:// URL"),
        ("file:rel", "is not a file URL"),
        ("file//tmp/x", "mistyped file:// URL"),
        ("http://example.com/x", "scheme 'http'"),
        ("gs:/bucket", "scheme 'gs'")
    ])
    func refusesWithAReason(_ text: String, _ reason: String) {
        switch StoreLocation.parse(text) {
        case .success(let location): Issue.record("'\(text)' was accepted as \(location)")
        case .failure(let problem): #expect(problem.text.contains(reason), "\(problem.text)")
        }
    }

    @Test func thePrefixGoesIntoEveryKeyOnce() throws {
        guard case .s3(_, let prefix) = try StoreLocation.parse("s3://bucket/backups/prod/").get() else {
            Issue.record("not an s3 location")
            return
        }
        let layout = StoreLayout(prefix: prefix, topicsDir: "topics")
        let key = layout.key(for: try ObjectKey(topic: "t", partition: 0, startOffset: 0, kind: ObjectFileKind(.envelope)))
        #expect(key == "backups/prod/topics/t/partition=0/t+0+0000000000.ktape.json")
        #expect(layout.runsFolder == "backups/prod/_ktape/runs/")
    }
}

struct ByteCountTextTests {
    @Test func roundedSizesForSummaries() {
        #expect(ByteCount.rounded(0) == "0 B")
        #expect(ByteCount.rounded(1023) == "1023 B")
        #expect(ByteCount.rounded(1536) == "1.5 KiB")
        #expect(ByteCount.rounded(126 * 1024 + 300) == "126.3 KiB")
        #expect(ByteCount.rounded(5 << 30) == "5.0 GiB")
    }
}
