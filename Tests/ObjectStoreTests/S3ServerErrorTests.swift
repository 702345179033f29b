import Foundation
import KtapeTestSupport
import ObjectStore
import SigV4
import Testing

/// What moto (with signature checking on) says, and how ktape says it.
struct S3ServerErrorTests {
    @Test func wrongSecretIsRefusedWithClearLine() async throws {
        let server = try await S3TestServer.shared.value
        var wrong = server.credentials
        wrong.secretAccessKey = "not-the-secret-" + String(wrong.secretAccessKey.prefix(4))
        let store = try await server.freshStore(credentials: wrong)
        do {
            try await store.put("x", body: [1])
            Issue.record("a request signed with the wrong secret was accepted")
        } catch let error as StoreError {
            #expect(error.kind == .badSignature)
            #expect(error.code == "SignatureDoesNotMatch")
            #expect(error.description.contains("the store refused the request signature: check the secret key"))
            #expect(error.description.contains("s3://ktape-"))
            #expect(!error.description.contains(wrong.secretAccessKey))
            #expect(!error.description.contains(server.credentials.secretAccessKey))
        }
    }

    @Test func unknownAccessKeyIsNamed() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore(credentials: Credentials(accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x"))
        do {
            _ = try await store.list(prefix: "")
            Issue.record("an unknown access key was accepted")
        } catch let error as StoreError {
            #expect(error.kind == .unknownAccessKey)
            #expect(error.description.contains("does not know the access key id"))
        }
    }

    @Test func missingBucketIsNamed() async throws {
        let server = try await S3TestServer.shared.value
        let store = try S3Store(
            config: S3Configuration(bucket: "ktape-no-such-bucket", endpoint: server.endpoint),
            credentials: StaticCredentialsProvider(server.credentials), transport: S3TestServer.transport)
        do {
            _ = try await store.list(prefix: "")
            Issue.record("listing a missing bucket succeeded")
        } catch let error as StoreError {
            #expect(error.kind == .noSuchBucket)
            #expect(error.isNotFound)
            #expect(error.description.contains("the bucket 'ktape-no-such-bucket' does not exist"))
        }
    }

    @Test func listingBeyondOneThousandKeysFollowsTokens() async throws {
        let store = try await S3TestServer.shared.value.freshStore()
        let keys = (0..<1_005).map { String(format: "topics/t/partition=0/t+0+%010d.json", $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slice in stride(from: 0, to: keys.count, by: 201) {
                let batch = keys[slice..<min(keys.count, slice + 201)]
                group.addTask { for key in batch { try await store.put(key, body: [1]) } }
            }
            try await group.waitForAll()
        }
        let first = try await store.list(prefix: "topics/")
        #expect(first.objects.count == 1000)
        #expect(first.nextToken != nil)
        let all = try await store.listAll(prefix: "topics/")
        #expect(all.map(\.key) == keys)
    }

    @Test func storageOptionsTravelAsHeaders() async throws {
        let store = try await S3TestServer.shared.value.freshStore()
        let options = PutOptions(
            contentType: "application/json", serverSideEncryption: .aes256, storageClass: "STANDARD_IA",
            acl: "bucket-owner-full-control", metadata: ["ktape-run": "42"])
        try await store.put("opts/one", body: Array("{}".utf8), options: options)
        let info = try await store.head("opts/one")
        #expect(info.contentType == "application/json")
        #expect(info.metadata["ktape-run"] == "42")
        #expect(info.size == 2)
    }
}
