/// Maps an S3 error response onto `StoreError`.
enum S3ErrorMapping {
    /// S3 codes a retry may cure, whatever the status.
    static let transientCodes: Set<String> = ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable",
                                              "Throttling", "ThrottlingException", "RequestLimitExceeded", "OperationAborted"]

    static func isTransient(status: Int, code: String?) -> Bool {
        if [500, 502, 503, 504, 429].contains(status) { return true }
        return code.map { transientCodes.contains($0) } ?? false
    }

    static func error(status: Int, body: [UInt8], operation: String, location: String, key: String?) -> StoreError {
        let document = XMLElement.parse(body)
        let code = document?.value("Code")
        let message = document?.value("Message") ?? ""
        let kind: StoreError.Kind
        switch (status, code) {
        case (_, "NoSuchBucket"): kind = .noSuchBucket
        case (_, "NoSuchKey"), (_, "NoSuchUpload"), (404, _): kind = .notFound
        case (_, "SignatureDoesNotMatch"): kind = .badSignature
        case (_, "InvalidAccessKeyId"): kind = .unknownAccessKey
        case (_, "AccessDenied"), (403, _): kind = .accessDenied
        case (412, _), (_, "PreconditionFailed"): kind = .alreadyExists
        case (409, "ConditionalRequestConflict"): kind = .transient
        default: kind = isTransient(status: status, code: code) ? .transient : .invalidRequest
        }
        // HEAD answers carry no body; say what the status alone means.
        let fallback = code == nil && message.isEmpty ? "HTTP \(status)" : message
        return StoreError(kind, operation: operation, location: location, key: key, code: code, message: fallback, status: status)
    }
}
