import Checksums
import Foundation
import SigV4
import Layout

/// An `ObjectStore` on S3 or an S3-compatible server, over libcurl, signed with SigV4.
///
/// Every upload carries `x-amz-checksum-crc64nvme`, which S3 checks against the body and keeps with the
/// object (multipart uploads as a full-object checksum, the same whatever the parts), and
/// `x-amz-content-sha256`: the body's SHA-256 over plain HTTP, `UNSIGNED-PAYLOAD` over HTTPS, where TLS
/// and the checked CRC already cover the body and SHA-256 would be the upload's largest CPU cost.
public final class S3Store: ObjectStore, Sendable {
    public let config: S3Configuration
    public let location: String
    let client: S3Client
    /// The region requests are signed for now: the configured one, or the bucket's own once S3 named it.
    public var region: String { client.signingRegion.withLock { $0 } }
    public var clockOffset: TimeInterval { client.serverClock.offsetSeconds }
    /// Uploads started with `ifNoneMatch`, whose completion must carry `If-None-Match: *`.
    private let createOnlyUploads = Locked(Set<String>())
    /// Once proven (`checkConditionalWrites`), for the life of this store.
    private let conditionalWritesProven = Locked(false)

    public init(
        config: S3Configuration, credentials: any CredentialsProvider, transport: any HTTPTransport = CurlTransport(),
        requestLog: S3RequestLog? = nil
    ) throws {
        self.config = config
        self.location = "s3://\(config.bucket)"
        client = try S3Client(config: config, credentials: credentials, transport: transport, location: location, requestLog: requestLog)
    }

    @discardableResult

    public func put(_ key: String, body: [UInt8], options: PutOptions) async throws -> PutResult {
        var headers = S3Headers.put(options)
        headers += S3Headers.checksum(.checksum(body))
        if options.ifNoneMatch { headers.append(("if-none-match", "*")) }
        if let etag = options.ifMatch { headers.append(("if-match", "\"\(etag)\"")) }
        let response: HTTPResponse
        do {
            response = try await client.send(
                .init(
                    operation: "put", method: "PUT", key: key, headers: headers, body: body,
                    bodyIsChecksummed: true))
        } catch var error as StoreError where options.ifMatch != nil && (error.isAlreadyExists || error.isNotFound) {
            // S3 answers an If-Match put with 412 when the object changed and 404 when it is gone.
            error.kind = .conditionFailed
            throw error
        }
        return PutResult(etag: S3Headers.unquote(response.header("etag") ?? ""))
    }

    /// A server that ignores If-None-Match or If-Match (older MinIO, some Ceph; S3 itself took
    /// If-None-Match in August 2024 and If-Match in November) lets two runs both take the store's lease
    /// and overwrite each other's objects, and says nothing. Every run proves both: a write on an ETag
    /// the probe does not have, and a create-only write of it, must each be refused (the first run
    /// creates the probe with the second, and checks it again). When either is carried out the probe
    /// is removed, so no later run meets an existing probe on a server that ignores If-None-Match.
    public func checkConditionalWrites(probe: String, options: PutOptions) async throws {
        guard !conditionalWritesProven.withLock({ $0 }) else { return }
        let body = Array("ktape writes here to check that this store refuses conditional writes it must refuse\n".utf8)
        var createOnly = options
        createOnly.ifNoneMatch = true
        createOnly.ifMatch = nil
        var onOtherVersion = options
        onOtherVersion.ifNoneMatch = false
        onOtherVersion.ifMatch = "ktape-probe-no-such-etag"
        func refused(_ options: PutOptions) async throws -> Bool {
            do {
                _ = try await put(probe, body: body, options: options)
                return false
            } catch let error as StoreError where error.isConditionFailed {
                return true
            }
        }
        func unsupported(_ message: String) async -> StoreError {
            try? await delete(probe, ifMatch: nil)
            return StoreError(.unsupported, operation: "put", location: location, key: probe, message: message)
        }
        // (A missing probe refuses an If-Match write too: 404, which the put reports as a failed condition.)
        guard try await refused(onOtherVersion) else {
            throw await unsupported("a write on the condition of an ETag the object does not have (If-Match) was carried out")
        }
        if try await !refused(createOnly), try await !refused(createOnly) {
            throw await unsupported("a create-only write (If-None-Match: *) replaced an object that exists")
        }
        conditionalWritesProven.withLock { $0 = true }
    }

    public func createMultipartUpload(_ key: String, options: PutOptions) async throws -> String {
        var headers = S3Headers.put(options)
        headers += [("x-amz-checksum-algorithm", "CRC64NVME"), ("x-amz-checksum-type", "FULL_OBJECT")]
        let response = try await client.send(
            .init(
                operation: "create multipart upload", method: "POST", key: key,
                query: [("uploads", "")], headers: headers))
        guard let id = XMLElement.parse(response.body)?.value("UploadId"), !id.isEmpty else {
            throw StoreError(
                .invalidRequest, operation: "create multipart upload", location: location, key: key,
                message: "the answer carried no UploadId")
        }
        if options.ifNoneMatch { createOnlyUploads.withLock { _ = $0.insert(id) } }
        return id
    }

    public func uploadPart(_ key: String, uploadId: String, partNumber: Int, body: [UInt8]) async throws -> CompletedPart {
        let crc = CRC64NVME.checksum(body)
        let response = try await client.send(
            .init(
                operation: "upload part \(partNumber)", method: "PUT", key: key,
                query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
                headers: S3Headers.checksum(crc), body: body, bodyIsChecksummed: true))
        return CompletedPart(
            partNumber: partNumber, etag: S3Headers.unquote(response.header("etag") ?? ""),
            checksumCRC64NVME: crc.base64, length: Int64(body.count))
    }

    @discardableResult

    public func completeMultipartUpload(_ key: String, uploadId: String, parts: [CompletedPart]) async throws -> PutResult {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\"\(XMLElement.escape(part.etag))\"</ETag>"
            if let checksum = part.checksumCRC64NVME { xml += "<ChecksumCRC64NVME>\(checksum)</ChecksumCRC64NVME>" }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var headers: [(name: String, value: String)] = [("content-type", "application/xml")]
        if createOnlyUploads.withLock({ $0.contains(uploadId) }) { headers.append(("if-none-match", "*")) }
        let response: HTTPResponse
        do {
            response = try await client.send(
                .init(
                    operation: "complete multipart upload", method: "POST", key: key,
                    query: [("uploadId", uploadId)], headers: headers, body: Array(xml.utf8),
                    needsDocument: true))
        } catch let error as StoreError where error.code == "NoSuchUpload" {
            // A retry after a completion whose answer was lost finds the upload gone: that completion
            // was ours if the object there is the parts' bytes.
            guard let info = await completedObject(key, parts: parts) else { throw error }
            createOnlyUploads.withLock { _ = $0.remove(uploadId) }
            return PutResult(etag: info.etag)
        }
        createOnlyUploads.withLock { _ = $0.remove(uploadId) }
        let etag = XMLElement.parse(response.body)?.value("ETag") ?? response.header("etag") ?? ""
        return PutResult(etag: S3Headers.unquote(etag))
    }

    /// The object at `key` if it is the completion of `parts`: its full-object CRC64NVME and size are
    /// those the parts make. A server that keeps no such checksum (or a HEAD in checksum mode refused,
    /// as without `kms:Decrypt`) is judged by its multipart ETag's part count (`-N`), which not
    /// every server gives.
    private func completedObject(_ key: String, parts: [CompletedPart]) async -> ObjectInfo? {
        var whole: (crc: CRC64NVME, length: Int64)? = (CRC64NVME(), 0)
        for part in parts {
            guard let sum = whole, let length = part.length, let crc = part.checksumCRC64NVME.flatMap(CRC64NVME.init(base64:)) else {
                whole = nil
                break
            }
            whole = (CRC64NVME.combine(sum.crc, crc, lengthOfB: length), sum.length + length)
        }
        guard let info = try? await headWithChecksum(key) else {
            guard let info = try? await head(key) else { return nil }
            return info.etag.hasSuffix("-\(parts.count)") ? info : nil
        }
        if let whole, let stored = info.checksum, stored.algorithm == "CRC64NVME", stored.type != "COMPOSITE",
            let crc = CRC64NVME(base64: stored.value)
        {
            return crc == whole.crc && info.size == whole.length ? info : nil
        }
        return info.etag.hasSuffix("-\(parts.count)") ? info : nil
    }

    public func abortMultipartUpload(_ key: String, uploadId: String) async throws {
        _ = try await client.send(.init(operation: "abort multipart upload", method: "DELETE", key: key, query: [("uploadId", uploadId)]))
        createOnlyUploads.withLock { _ = $0.remove(uploadId) }
    }

    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        var uploads: [MultipartUploadInfo] = []
        var markers: (key: String, upload: String)?
        repeat {
            var query: [(name: String, value: String)] = [("uploads", ""), ("prefix", prefix)]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.upload)] }
            let response = try await client.send(.init(operation: "list multipart uploads", method: "GET", key: nil, query: query))
            guard let document = XMLElement.parse(response.body) else { throw unreadable("list multipart uploads", prefix) }
            for upload in document.all("Upload") {
                uploads.append(MultipartUploadInfo(key: upload.value("Key") ?? "", uploadId: upload.value("UploadId") ?? ""))
            }
            let sent = markers
            markers = nil
            if document.flag("IsTruncated") {
                // Without them, or with the ones sent, the same page would be asked for forever.
                guard let key = document.value("NextKeyMarker"), let upload = document.value("NextUploadIdMarker"), !key.isEmpty,
                    sent.map({ $0 != (key, upload) }) ?? true
                else {
                    throw StoreError(
                        .unsupported, operation: "list multipart uploads", location: location, key: prefix.isEmpty ? nil : prefix,
                        message: "a truncated listing named no NextKeyMarker and NextUploadIdMarker past those it was asked for")
                }
                markers = (key, upload)
            }
        } while markers != nil
        return uploads
    }

    public func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        let headers: [(name: String, value: String)] = range.map { [("range", $0.httpValue)] } ?? []
        let response = try await client.send(.init(operation: "get", method: "GET", key: key, headers: headers))
        if let range, response.status == 200 {
            // A server that ignores Range sends everything; cut the asked-for part out.
            let start = Int(min(Int64(response.body.count), range.offset))
            let end = Int(min(Int64(response.body.count), range.offset + range.length))
            return Array(response.body[start..<end])
        }
        return response.body
    }

    public func getTagged(_ key: String) async throws -> TaggedObject {
        let response = try await client.send(.init(operation: "get", method: "GET", key: key))
        return TaggedObject(body: response.body, etag: S3Headers.unquote(response.header("etag") ?? ""))
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        try await head(key, checksumMode: false)
    }

    public func headWithChecksum(_ key: String) async throws -> ObjectInfo {
        try await head(key, checksumMode: true)
    }

    private func head(_ key: String, checksumMode: Bool) async throws -> ObjectInfo {
        let headers: [(name: String, value: String)] = checksumMode ? [("x-amz-checksum-mode", "ENABLED")] : []
        let response = try await client.send(.init(operation: "head", method: "HEAD", key: key, headers: headers))
        var metadata: [String: String] = [:]
        for header in response.headers where header.name.hasPrefix("x-amz-meta-") {
            metadata[String(header.name.dropFirst("x-amz-meta-".count))] = header.value
        }
        var lock: ObjectLockRetention?
        if let mode = response.header("x-amz-object-lock-mode").flatMap(ObjectLockMode.init(rawValue:)),
            let until = response.header("x-amz-object-lock-retain-until-date").flatMap(S3Dates.isoDate)
        {
            lock = ObjectLockRetention(mode: mode, retainUntil: until)
        }
        // Taken for 0, a missing size made every object read look damaged.
        guard let size = response.header("content-length").flatMap({ Int64($0.trimmingCharacters(in: .whitespaces)) }), size >= 0 else {
            throw StoreError(
                .transient, operation: "head", location: location, key: key,
                message: "the answer had no Content-Length, so the object's size is unknown (a proxy between ktape and the store?)")
        }
        var info = ObjectInfo(
            key: key, size: size,
            etag: S3Headers.unquote(response.header("etag") ?? ""),
            lastModified: response.header("last-modified").flatMap(S3Dates.httpDate),
            contentType: response.header("content-type"), metadata: metadata,
            checksum: checksumMode ? S3Headers.storedChecksum(in: response) : nil, objectLock: lock)
        info.legalHold = response.header("x-amz-object-lock-legal-hold")?.uppercased() == "ON"
        return info
    }

    public func list(prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int) async throws -> ListPage {
        try await list(prefix: prefix, delimiter: delimiter, continuationToken: continuationToken, maxKeys: maxKeys, startAfter: nil)
    }

    public func listAll(prefix: String, startAfter: String) async throws -> [ObjectSummary] {
        var all: [ObjectSummary] = []
        var token: String?
        repeat {
            let page = try await list(
                prefix: prefix, delimiter: nil, continuationToken: token, maxKeys: 1000,
                startAfter: token == nil ? startAfter : nil)
            all += page.objects
            token = page.nextToken
        } while token != nil
        return all
    }

    private func list(
        prefix: String, delimiter: String?, continuationToken: String?, maxKeys: Int,
        startAfter: String?
    ) async throws -> ListPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        let response = try await client.send(.init(operation: "list", method: "GET", key: nil, query: query))
        guard let document = XMLElement.parse(response.body) else { throw unreadable("list", prefix) }
        let objects = document.all("Contents").map { item in
            ObjectSummary(
                key: item.value("Key") ?? "", size: Int64(item.value("Size") ?? "") ?? 0,
                etag: S3Headers.unquote(item.value("ETag") ?? ""),
                lastModified: item.value("LastModified").flatMap(S3Dates.isoDate), storageClass: item.value("StorageClass"))
        }
        let prefixes = document.all("CommonPrefixes").compactMap { $0.value("Prefix") }
        var next: String?
        if document.flag("IsTruncated") {
            // Taking a missing token for the last page would make the rest of the store look deleted;
            // the token just sent would ask for the same page forever.
            guard let token = document.value("NextContinuationToken"), !token.isEmpty else {
                throw StoreError(
                    .unsupported, operation: "list", location: location, key: prefix.isEmpty ? nil : prefix,
                    message: "a truncated listing named no NextContinuationToken")
            }
            guard token != continuationToken else {
                throw StoreError(
                    .unsupported, operation: "list", location: location, key: prefix.isEmpty ? nil : prefix,
                    message: "a truncated listing named the NextContinuationToken it was asked with: the listing does not advance")
            }
            next = token
        }
        return ListPage(objects: objects, commonPrefixes: prefixes, nextToken: next)
    }

    public func delete(_ key: String, ifMatch: String?) async throws {
        guard let etag = ifMatch else {
            _ = try await client.send(.init(operation: "delete", method: "DELETE", key: key, accept: [404]))
            return
        }
        do {
            _ = try await client.send(.init(operation: "delete", method: "DELETE", key: key, headers: [("if-match", "\"\(etag)\"")]))
        } catch var error as StoreError where error.isAlreadyExists || error.isNotFound {
            error.kind = .conditionFailed
            throw error
        }
    }

    public func delete(keys: [String]) async throws {
        var start = 0
        while start < keys.count {
            var batch = Array(keys[start..<min(keys.count, start + 1000)])
            start += batch.count
            // A key the answer names with a transient code (InternalError, SlowDown) is asked again.
            for attempt in 1...Self.deleteObjectsAttempts {
                batch = try await deleteObjects(batch, lastAttempt: attempt == Self.deleteObjectsAttempts)
                if batch.isEmpty { break }
                try await client.backoff(attempt: attempt)
            }
        }
    }

    /// DeleteObjects answers per key: how many times a key refused with a transient code is asked for.
    static let deleteObjectsAttempts = 5

    /// One DeleteObjects request (at most 1,000 keys): the keys to ask for again, refused with a
    /// transient code; any other refusal (or a transient one on the last attempt) is thrown.
    private func deleteObjects(_ keys: [String], lastAttempt: Bool) async throws -> [String] {
        var xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(XMLElement.escape(key))</Key></Object>" }
        xml += "</Delete>"
        let body = Array(xml.utf8)
        // DeleteObjects insists on a body checksum; Content-MD5 is the one every S3 clone knows.
        let response = try await client.send(
            .init(
                operation: "delete objects", method: "POST", key: nil, query: [("delete", "")],
                headers: [
                    ("content-type", "application/xml"),
                    ("content-md5", Data(Digest.md5(body)).base64EncodedString())
                ],
                body: body))
        let failed = XMLElement.parse(response.body)?.all("Error") ?? []
        var again: [String] = []
        for failure in failed {
            let code = failure.trimmedValue("Code")
            if !lastAttempt, let code, S3ErrorMapping.transientCodes.contains(code), let key = failure.value("Key") {
                again.append(key)
                continue
            }
            let kind: StoreError.Kind =
                code == "AccessDenied"
                ? .accessDenied : code.map(S3ErrorMapping.transientCodes.contains) == true ? .transient : .invalidRequest
            throw StoreError(
                kind, operation: "delete", location: location, key: failure.value("Key"), code: code,
                message: failure.value("Message") ?? "")
        }
        return again
    }

    /// Creates the bucket (for tests and fresh S3-compatible servers); an existing one of ours is fine.
    /// With `objectLock`, the bucket is created with Object Lock enabled (and so versioned).
    public func createBucket(objectLock: Bool = false) async throws {
        var body: [UInt8] = []
        if config.region != "us-east-1" {
            body = Array(
                ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>"
                    + config.region + "</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        let headers: [(name: String, value: String)] = objectLock ? [("x-amz-bucket-object-lock-enabled", "true")] : []
        do {
            _ = try await client.send(.init(operation: "create bucket", method: "PUT", key: nil, headers: headers, body: body))
        } catch let error as StoreError where error.code == "BucketAlreadyOwnedByYou" {
            return
        }
    }

    /// GetObjectLockConfiguration: a bucket without Object Lock answers ObjectLockConfigurationNotFoundError,
    /// and none of its objects can be retained or held. Any other refusal (no
    /// s3:GetBucketObjectLockConfiguration, a server without the call) cannot tell.
    public func objectLockEnabled() async -> Bool? {
        do {
            let response = try await client.send(
                .init(operation: "get object lock configuration", method: "GET", key: nil, query: [("object-lock", "")]))
            return XMLElement.parse(response.body)?.value("ObjectLockEnabled") == "Enabled" ? true : nil
        } catch let error as StoreError where error.code == "ObjectLockConfigurationNotFoundError" {
            return false
        } catch {
            return nil
        }
    }

    private func unreadable(_ operation: String, _ prefix: String) -> StoreError {
        StoreError(
            .invalidRequest, operation: operation, location: location, key: prefix.isEmpty ? nil : prefix,
            message: "the answer was not readable XML")
    }
}
