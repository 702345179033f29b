/// Maps an S3 error response onto `StoreError`.
enum S3ErrorMapping {
    /// S3 codes a retry may cure, whatever the status.
    static let transientCodes: Set<String> = [
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "OperationAborted"
    ]

    static func isTransient(status: Int, code: String?) -> Bool {
        if [500, 502, 503, 504, 429].contains(status) { return true }
        return code.map { transientCodes.contains($0) } ?? false
    }

    static func error(
        status: Int, body: [UInt8], operation: String, location: String, key: String?,
        bucketRegion: String? = nil
    ) -> StoreError {
        let document = XMLElement.parse(body)
        let code = document?.trimmedValue("Code")
        var message = document?.value("Message") ?? ""
        // Where S3 says the bucket really is: the header (HEAD has no body), or the error's own fields.
        if let region = bucketRegion ?? document?.value("Region") {
            message += message.isEmpty ? "the bucket is in \(region)" : "; the bucket is in \(region)"
        } else if let endpoint = document?.value("Endpoint") {
            message += "; use endpoint \(endpoint)"
        }
        // S3 says "Bucket is missing Object Lock Configuration", moto "…ObjectLockConfiguration".
        let objectLockMissing =
            code == "InvalidRequest"
            && message.lowercased().replacingOccurrences(of: " ", with: "").contains("missingobjectlock")
        let kind: StoreError.Kind
        switch (status, code) {
        case _ where objectLockMissing: kind = .objectLockNotEnabled
        case (_, "PermanentRedirect"), (_, "AuthorizationHeaderMalformed"), (301, _), (_, "IllegalLocationConstraintException"):
            kind = .wrongRegion
        case (_, "NoSuchBucket"): kind = .noSuchBucket
        case (_, "NoSuchKey"), (_, "NoSuchUpload"), (404, _): kind = .notFound
        case (_, "SignatureDoesNotMatch"): kind = .badSignature
        case (_, "RequestTimeTooSkewed"), (_, "RequestExpired"), (_, "RequestInTheFuture"): kind = .clockSkew
        case (_, "InvalidAccessKeyId"): kind = .unknownAccessKey
        // GetObject of an archived object: a 403 that no policy change cures.
        case (_, "InvalidObjectState"): kind = .archived
        case (_, "AccessDenied"), (403, _): kind = .accessDenied
        case (412, _), (_, "PreconditionFailed"): kind = .alreadyExists
        case (409, "ConditionalRequestConflict"): kind = .transient
        case (501, _), (_, "NotImplemented"): kind = .unsupported
        default: kind = isTransient(status: status, code: code) ? .transient : .invalidRequest
        }
        // HEAD answers carry no body; say what the status alone means.
        let fallback = code == nil && message.isEmpty ? "HTTP \(status)" : message
        return StoreError(kind, operation: operation, location: location, key: key, code: code, message: fallback, status: status)
    }
}
