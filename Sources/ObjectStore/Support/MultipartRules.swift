/// S3's CompleteMultipartUpload rules, for the stores that emulate it: parts listed in ascending
/// order, each one uploaded with the ETag given, all but the last at least the minimum size.
enum MultipartRules {
    /// Returns the part numbers in order once the list checks out.
    static func check(
        parts: [CompletedPart], stored: [Int: (size: Int, etag: String)], minPartSize: Int,
        location: String, key: String
    ) throws -> [Int] {
        func refuse(_ code: String, _ message: String) -> StoreError {
            StoreError(
                .invalidRequest, operation: "complete multipart upload", location: location, key: key, code: code, message: message,
                status: 400)
        }
        guard !parts.isEmpty else { throw refuse("MalformedXML", "no parts were listed") }
        var previous = 0
        for (index, part) in parts.enumerated() {
            guard part.partNumber > previous else { throw refuse("InvalidPartOrder", "part \(part.partNumber) is out of order") }
            previous = part.partNumber
            guard let uploaded = stored[part.partNumber], uploaded.etag == part.etag else {
                throw refuse("InvalidPart", "part \(part.partNumber) was not uploaded with that ETag")
            }
            if index < parts.count - 1 && uploaded.size < minPartSize {
                throw refuse("EntityTooSmall", "part \(part.partNumber) has \(uploaded.size) bytes, below the \(minPartSize)-byte minimum")
            }
        }
        return parts.map(\.partNumber)
    }
}
