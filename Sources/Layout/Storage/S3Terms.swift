/// S3's own vocabulary, named once for the job spec that reads it and the store that sends it.

/// Object Lock retention mode (`object-lock-mode`, `x-amz-object-lock-mode`).
public enum ObjectLockMode: String, Sendable, CaseIterable {
    case governance = "GOVERNANCE"
    case compliance = "COMPLIANCE"
}

/// Server-side encryption (`sse`, `x-amz-server-side-encryption`); a KMS key id travels beside it.
public enum ServerSideEncryption: String, Sendable, CaseIterable {
    case aes256 = "AES256"
    case kms = "aws:kms"
}

/// How S3 requests name the bucket (`addressing-style`): virtual-hosted on AWS (path-style for bucket
/// names with dots, which the wildcard certificate does not cover), path-style with a custom endpoint
/// (what MinIO and Ceph expect).
public enum AddressingStyle: String, Sendable, CaseIterable {
    case auto, path, virtual
}

/// S3's multipart limits, which every backend enforces so that what works locally works on S3.
public enum MultipartLimits {
    public static let maxParts = 10_000
    public static let minPartSize = 5 * 1024 * 1024
    public static let maxPartSize = 5 * 1024 * 1024 * 1024
}
