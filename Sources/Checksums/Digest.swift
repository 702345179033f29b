import COpenSSL

/// SHA-256, HMAC-SHA256 and MD5 through OpenSSL's EVP interface.
public enum Digest {
    /// SHA-256 of `bytes`.
    public static func sha256<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finish()
    }

    /// MD5 of `bytes` (for `Content-MD5` where a server wants it).
    public static func md5<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        let hasher = EVPHasher(EVP_md5())
        hasher.update(bytes)
        return hasher.finish()
    }

    /// HMAC-SHA256 of `data` under `key`.
    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress, d.count, &out, &length) != nil
            }
        }
        OpenSSLCall.require(done, "HMAC-SHA256")
        return Array(out.prefix(Int(length)))
    }

    public static func hmacSHA256(key: [UInt8], string: String) -> [UInt8] {
        hmacSHA256(key: key, data: Array(string.utf8))
    }

    /// Lower-case hex, as SigV4 writes hashes and signatures.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An incremental hash over one EVP context; the context is freed in deinit.
public class EVPHasher {
    private let context: OpaquePointer?

    init(_ md: OpaquePointer?) {
        context = EVP_MD_CTX_new()
        OpenSSLCall.require(context != nil && EVP_DigestInit_ex(context, md, nil) == 1, "EVP_DigestInit_ex")
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Feeds more bytes into the hash.
    public func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in
                EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
            } ?? Array(bytes).withUnsafeBufferPointer { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        OpenSSLCall.require(result == 1, "EVP_DigestUpdate")
    }

    /// The digest of everything fed so far. Call once.
    public func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        OpenSSLCall.require(EVP_DigestFinal_ex(context, &out, &length) == 1, "EVP_DigestFinal_ex")
        return Array(out.prefix(Int(length)))
    }
}

/// SHA-256 computed while data streams through, so no caller holds a whole object to hash it.
public final class SHA256Hasher: EVPHasher {
    public init() { super.init(EVP_sha256()) }
}

/// OpenSSL's digests fail only when it cannot allocate or load its default provider. A hash that
/// went wrong must not be written or sent as if right (a manifest's sha256, a signature), and the
/// callers cannot go on without one: the process stops with OpenSSL's own reason.
enum OpenSSLCall {
    static func require(_ succeeded: Bool, _ call: StaticString) {
        guard !succeeded else { return }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(ERR_get_error(), &text, text.count)
        let reason = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        fatalError("OpenSSL \(call) failed: \(reason)")
    }
}
