import Foundation
import ObjectStore
import Testing

struct StoreURLTests {
    @Test func parsesTheThreeForms() throws {
        #expect(try StoreURL(parsing: "s3://my-bucket") == .s3(bucket: "my-bucket", prefix: ""))
        #expect(try StoreURL(parsing: "s3://my-bucket/backups/prod/") == .s3(bucket: "my-bucket", prefix: "backups/prod"))
        #expect(try StoreURL(parsing: "file:///var/ktape") == .directory(path: "/var/ktape"))
        #expect(try StoreURL(parsing: "/var/ktape/../kt") == .directory(path: "/var/kt"))
        #expect(try StoreURL(parsing: "s3://b.example.com/x").description == "s3://b.example.com/x")
    }

    @Test(arguments: [
        ("", "empty"),
        ("s3://", "no bucket name"),
        ("s3://Upper/x", "lower-case"),
        ("s3://ab", "3 to 63"),
        ("gs://bucket", "unknown scheme 'gs'"),
        ("file://relative/path", "absolute path"),
    ])
    func refusesWithAReason(_ text: String, _ reason: String) {
        do {
            _ = try StoreURL(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect("\(error)".contains(reason))
            #expect("\(error)".hasPrefix("invalid store URL '\(text)'"))
        }
    }

    @Test func prefixedStoreAddsAndStripsThePrefix() async throws {
        let base = MemoryStore()
        let store = PrefixedStore(base: base, prefix: "backups/prod/")
        try await store.put("topics/a", body: [1])
        #expect(base.keys == ["backups/prod/topics/a"])
        #expect(try await store.listAll(prefix: "topics/").map(\.key) == ["topics/a"])
        #expect(try await store.head("topics/a").key == "topics/a")
        #expect(store.location == "memory:/backups/prod")
    }
}
