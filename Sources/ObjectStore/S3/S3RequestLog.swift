import Foundation

/// Receives one record per attempt of every S3 request, for `-v` logs.
public typealias S3RequestLog = @Sendable (S3RequestRecord) -> Void

/// One attempt of an S3 request: never a header, a query or a body, so never a secret.
public struct S3RequestRecord: Sendable {
    public var method: String
    /// What the store was doing: `put`, `list`, `upload part 3`.
    public var operation: String
    /// The object key, nil for a bucket-level request.
    public var key: String?
    /// The HTTP status; nil when no answer came (connection refused, timeout).
    public var status: Int?
    /// 1 for the first try.
    public var attempt: Int
    public var milliseconds: Int
    /// The S3 error code of a refused request, or the transport's reason.
    public var errorCode: String?

    init(call: S3Client.Call, status: Int?, attempt: Int, since sent: Date, errorCode: String?) {
        method = call.method
        operation = call.operation
        key = call.key
        self.status = status
        self.attempt = attempt
        milliseconds = Int(Date().timeIntervalSince(sent) * 1000)
        self.errorCode = errorCode
    }
}
