import Foundation
import Layout
import ObjectStore
import JobSpec

/// Opens the store a job names: the bucket or directory as an `ObjectStore`, and the `StoreLayout`
/// (prefix and topics-dir) that names every key in it. The prefix lives in the layout only, so
/// keys are built in one place.
struct OpenedStore {
    var store: any ObjectStore
    var layout: StoreLayout
    var location: StoreLocation
}

enum StoreOpening {
    /// `creating`: only a backup makes a missing directory; restore, ls and verify reading a path that
    /// does not exist is a mistyped store (exit 2), not an empty one to create. `connections`: S3
    /// requests in flight at once.
    static func open(
        _ settings: CommonSettings, creating: Bool, connections: Int = 8,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> OpenedStore {
        let location = settings.store.value
        switch location {
        case .directory(let path):
            if !creating { try checkDirectory(path) }
            return OpenedStore(
                store: try LocalDirectoryStore(root: path),
                layout: StoreLayout(prefix: "", topicsDir: settings.topicsDir.value), location: location)
        case .s3(let bucket, let prefix):
            let profile = settings.profile?.value
            let files = try SharedConfigFiles.load(environment: environment, profile: profile)
            let region = try AWSRegion.resolve(flag: settings.region?.value, environment: environment, profile: profile)
            // --endpoint-url, else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's services section, its endpoint_url.
            let endpoint =
                settings.endpointURL?.value
                ?? ConfiguredEndpoint.resolve(service: "s3", environment: environment, files: files, includeGlobal: true)?.url
            let transport = CurlTransport(settings: .init(connections: connections))
            let credentials = try CredentialsChain.defaultProvider(
                environment: environment, region: region.region, transport: transport,
                profile: profile)
            let config = S3Configuration(
                bucket: bucket, region: region.region, endpoint: endpoint,
                addressingStyle: try addressingStyle(settings, files: files),
                expectedBucketOwner: settings.expectedBucketOwner?.value)
            return OpenedStore(
                store: try S3Store(
                    config: config, credentials: credentials, transport: transport,
                    requestLog: VerboseLogs.s3Requests(Console.standard)),
                layout: StoreLayout(prefix: prefix, topicsDir: settings.topicsDir.value), location: location)
        }
    }

    /// Refuses a store path that is not a directory, naming why: a parent that cannot be searched is
    /// not a missing directory, and calling it one sends the user looking for a typo.
    static func checkDirectory(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw StoreOpeningError(reason: code == ENOENT ? "no such directory" : "cannot open: \(String(cString: strerror(code)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw StoreOpeningError(reason: "not a directory") }
    }

    /// `--addressing-style`, else the profile's `s3 = addressing_style`, else auto.
    static func addressingStyle(_ settings: CommonSettings, files: SharedConfigFiles) throws -> AddressingStyle {
        if settings.addressingStyle.origin == .default, let text = files.setting("s3.addressing_style") {
            guard let style = AddressingStyle(rawValue: text) else {
                throw StoreOpeningError(
                    reason: "AWS profile '\(files.selectedProfile)': s3 addressing_style must be auto, path or virtual (got '\(text)')")
            }
            return style
        }
        return settings.addressingStyle.value
    }

    /// Headers every write into this store carries (encryption, ACL). Storage class and Object
    /// Lock are for data objects only and are added by the backup engine.
    static func basePutOptions(_ settings: CommonSettings) -> PutOptions {
        var options = PutOptions()
        options.serverSideEncryption = settings.sse?.value
        if options.serverSideEncryption == .kms { options.kmsKeyID = settings.sseKMSKeyID?.value }
        options.acl = settings.acl?.value.rawValue
        options.expectedBucketOwner = settings.expectedBucketOwner?.value
        return options
    }
}

struct StoreOpeningError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
