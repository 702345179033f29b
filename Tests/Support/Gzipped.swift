import Gzip

/// `bytes` as one gzip member, compressed the way backups compress them (for store fixtures).
public func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let compressor = try GzipCompressor()
    var out: [UInt8] = []
    try compressor.compress(bytes, into: &out)
    try compressor.finish(into: &out)
    return out
}

/// What any gzip stream (one member or several) holds.
public func gunzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let decompressor = try GzipDecompressor()
    var out: [UInt8] = []
    try decompressor.decompress(bytes, into: &out)
    try decompressor.finish()
    return out
}
