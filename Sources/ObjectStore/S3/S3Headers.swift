import Foundation
import Layout
import TimeText

/// The S3 headers that carry put options and checksums.
enum S3Headers {
    static func put(_ options: PutOptions) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let type = options.contentType { headers.append(("content-type", type)) }
        switch options.serverSideEncryption {
        case .aes256?:
            headers.append(("x-amz-server-side-encryption", "AES256"))
        case .kms?:
            headers.append(("x-amz-server-side-encryption", "aws:kms"))
            if let keyId = options.kmsKeyID { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", keyId)) }
        case nil:
            break
        }
        if let storageClass = options.storageClass { headers.append(("x-amz-storage-class", storageClass)) }
        if let acl = options.acl { headers.append(("x-amz-acl", acl)) }
        if let lock = options.objectLock {
            headers.append(("x-amz-object-lock-mode", lock.mode.rawValue))
            headers.append(("x-amz-object-lock-retain-until-date", S3Dates.iso8601(lock.retainUntil)))
        }
        if let owner = options.expectedBucketOwner { headers.append(("x-amz-expected-bucket-owner", owner)) }
        for (name, value) in options.metadata.sorted(by: { $0.key < $1.key }) {
            headers.append(("x-amz-meta-\(name.lowercased())", value))
        }
        return headers
    }

    /// The flexible-checksum headers for a body whose SHA-256 is `digest`.
    static func checksum(_ digest: [UInt8]) -> [(name: String, value: String)] {
        [("x-amz-checksum-sha256", Data(digest).base64EncodedString()), ("x-amz-sdk-checksum-algorithm", "SHA256")]
    }

    static func unquote(_ etag: String) -> String {
        etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
}

/// Dates as S3 writes and reads them.
enum S3Dates {
    static func iso8601(_ date: Date) -> String { Timestamps.rfc3339Seconds(date) }

    static func isoDate(_ text: String) -> Date? { Timestamps.parseRFC3339(text) }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
