// swift-tools-version:6.0
import PackageDescription

// Native libraries come from the system through pkg-config (Debian package names in `providers`).
// Each gets one system-library target; no other target sees a C type from them directly.
let package = Package(
    name: "ktape",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ktape", targets: ["ktape"]),
        // scripts/bench-scale's store of a year of hourly runs (not shipped).
        .executable(name: "ktape-synthetic-store", targets: ["SyntheticStore"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2")
    ],
    targets: [
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // The version and the git commit of the build (stamped by the CommitStamp plugin before each build).
        .plugin(name: "CommitStamp", capability: .buildTool()),
        .target(name: "BuildInfo", plugins: ["CommitStamp"]),
        // RFC 3339 times by hand (Foundation's formatters go through ICU: tens of µs a call).
        .target(name: "TimeText"),
        // Pure logic, no I/O: object key naming and parsing, regexes, manifests and the store's documents.
        .target(name: "Layout", dependencies: ["Checksums", "TimeText"]),
        // The one failure every run ends with, carrying its exit status.
        .target(name: "Failures"),
        // Pure: the record line codecs (ktape's envelope, Confluent's JsonFormat and its companions).
        .target(name: "RecordFormats"),
        // Pure: the job spec, its keys (= flags) and their validation.
        .target(name: "JobSpec", dependencies: ["Layout", "TimeText"]),
        // AWS Signature V4 as a pure function of (request, credentials, date).
        .target(name: "SigV4", dependencies: ["Checksums", "COpenSSL"]),
        // Threads for blocking calls (file I/O, fsync, librdkafka waits), off the cooperative pool.
        .target(name: "Threads"),
        // Child processes started safely from many threads at once (Foundation's Process is not).
        .target(name: "CSpawn"),
        .target(name: "Spawn", dependencies: ["CSpawn"]),
        // Whether the results written to stdout got out (a full disk, a closed stdout).
        .target(name: "CStandardOutput"),
        .target(
            name: "ObjectStore",
            dependencies: ["Failures", "Layout", "SigV4", "Checksums", "Threads", "Spawn", "TimeText", "CCurl", "COpenSSL"]),
        // Hashing for everyone: SHA-256, HMAC and MD5 over OpenSSL, and CRC64NVME (which S3 also computes)
        // with carry-less multiplication (C) where the CPU has it.
        .target(name: "CCRC64"),
        .target(name: "Checksums", dependencies: ["CCRC64", "COpenSSL"]),
        // Streaming, deterministic gzip over zlib.
        .target(name: "Gzip", dependencies: ["CZlib"]),
        .target(name: "Kafka", dependencies: ["CRdKafka", "Failures", "Layout", "Threads"]),
        // Leases in lock objects, taken and renewed with conditional writes (one writer per store's data).
        .target(name: "StoreLock", dependencies: ["Layout", "ObjectStore", "StoreMetadata", "TimeText"]),
        // The store's derived metadata: the index backups resume from, and the record of what prune removed.
        .target(name: "StoreMetadata", dependencies: ["Layout", "ObjectStore"]),
        // Amazon MSK IAM: OAUTHBEARER tokens for librdkafka, signed with credentials from the AWS chain.
        .target(name: "MSKIAM", dependencies: ["Kafka", "ObjectStore", "SigV4"]),
        // YAML job files read into JobSpec's job document (line numbers kept for errors).
        .target(name: "JobFile", dependencies: ["JobSpec", "Layout", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "Backup",
            dependencies: [
                "Failures", "JobSpec", "RecordFormats", "Layout", "Kafka", "ObjectStore", "StoreLock", "StoreMetadata", "Threads", "Gzip",
                "Checksums", "TimeText"
            ]),
        .target(
            name: "Restore",
            dependencies: [
                "Failures", "JobSpec", "RecordFormats", "Layout", "Kafka", "ObjectStore", "StoreLock", "StoreMetadata", "Threads", "Gzip",
                "Checksums", "TimeText"
            ]),
        // ktape prune: whole objects from the oldest end of each partition, recorded before they go.
        .target(
            name: "Prune",
            dependencies: ["Failures", "JobSpec", "Layout", "ObjectStore", "StoreLock", "StoreMetadata", "Threads", "TimeText"]),
        // ls and verify: what a store holds and whether it is whole (structure first, then data).
        .target(
            name: "Inspection",
            dependencies: [
                "JobSpec", "RecordFormats", "Layout", "ObjectStore", "StoreMetadata", "StoreLock", "Gzip", "Checksums", "TimeText"
            ]),
        .executableTarget(
            name: "ktape",
            dependencies: [
                "CStandardOutput", "Failures", "Layout", "RecordFormats", "JobSpec", "Kafka", "MSKIAM", "ObjectStore", "JobFile", "Backup",
                "Restore", "Prune",
                "Inspection", "SigV4", "Gzip", "Checksums", "BuildInfo", "Threads",
                "CRdKafka", "CCurl", "CZlib", "COpenSSL",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),
        .executableTarget(name: "SyntheticStore", dependencies: ["Checksums", "JobSpec", "RecordFormats", "Layout"]),

        .testTarget(name: "RecordFormatsTests", dependencies: ["RecordFormats", "TimeText", "KtapeTestSupport"]),
        .testTarget(name: "JobSpecTests", dependencies: ["JobSpec", "Layout"]),
        .testTarget(name: "LayoutTests", dependencies: ["JobSpec", "Layout", "TimeText", "KtapeTestSupport"]),
        .testTarget(name: "FailuresTests", dependencies: ["Failures"]),
        .testTarget(name: "GzipTests", dependencies: ["Spawn", "Gzip", "KtapeTestSupport"]),
        .testTarget(name: "ChecksumsTests", dependencies: ["Spawn", "Checksums", "KtapeTestSupport"]),
        .testTarget(name: "JobFileTests", dependencies: ["JobSpec", "JobFile", "Layout", "KtapeTestSupport"]),
        .testTarget(name: "SigV4Tests", dependencies: ["Checksums", "Spawn", "SigV4"]),
        .testTarget(name: "ThreadsTests", dependencies: ["Threads"]),
        .testTarget(name: "SpawnTests", dependencies: ["Spawn"]),
        .testTarget(name: "ObjectStoreTests", dependencies: ["Spawn", "ObjectStore", "Layout", "KtapeTestSupport", "Checksums"]),
        .testTarget(name: "StoreLockTests", dependencies: ["Spawn", "StoreLock", "ObjectStore", "Layout", "KtapeTestSupport"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "Layout", "KtapeTestSupport"]),
        .testTarget(name: "MSKIAMTests", dependencies: ["MSKIAM", "Kafka", "ObjectStore", "SigV4", "KtapeTestSupport"]),
        // Helpers shared by test targets (servers the tests start in their own processes).
        .target(name: "KtapeTestSupport", dependencies: ["ObjectStore", "Gzip", "Spawn"], path: "Tests/Support"),
        .testTarget(
            name: "BackupTests",
            dependencies: [
                "Failures", "JobSpec", "Spawn", "Backup", "Layout", "Kafka", "ObjectStore", "StoreLock", "StoreMetadata", "Threads", "Gzip",
                "KtapeTestSupport", "Checksums"
            ]),
        .testTarget(
            name: "RestoreTests",
            dependencies: [
                "Checksums", "Failures", "JobSpec", "RecordFormats", "Restore", "Backup", "Layout", "Kafka", "ObjectStore", "StoreMetadata",
                "Gzip", "KtapeTestSupport"
            ]),
        .testTarget(
            name: "PruneTests",
            dependencies: [
                "Checksums", "Failures", "JobSpec", "Spawn", "Prune", "Inspection", "Layout", "ObjectStore", "StoreLock", "StoreMetadata",
                "SigV4", "KtapeTestSupport"
            ]),
        .testTarget(
            name: "InspectionTests",
            dependencies: [
                "RecordFormats", "Inspection", "Layout", "ObjectStore", "StoreMetadata", "StoreLock", "Gzip", "KtapeTestSupport",
                "Checksums"
            ]
        ),
        .testTarget(name: "KtapeTests", dependencies: ["Spawn", "KtapeTestSupport"])
    ],
    swiftLanguageModes: [.v6]
)

// Release builds optimise across modules: generic code in one module (Layout's continuity check,
// collection algorithms over its types) called from another with that module's own types otherwise
// runs unspecialised, through witness tables. C targets (named C + a capital) take no Swift flags.
for target in package.targets where [.regular, .executable].contains(target.type) {
    let name = Array(target.name)
    if name.count > 1 && name[0] == "C" && name[1].isUppercase { continue }
    target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]
}
