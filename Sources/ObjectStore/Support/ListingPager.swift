/// S3 ListObjectsV2 paging over a sorted key list, for the stores that list in process.
/// The continuation token is the last key or common prefix returned.
enum ListingPager {
    static func page(sortedObjects: [ObjectSummary], prefix: String, delimiter: String?, token: String?, maxKeys: Int) -> ListPage {
        var objects: [ObjectSummary] = []
        var prefixes: [String] = []
        var last: String?
        let limit = max(1, maxKeys)
        let skipUnderToken = token.map { token in delimiter.map { token.hasSuffix($0) } ?? false } ?? false
        for object in sortedObjects {
            let key = object.key
            guard key.hasPrefix(prefix) else { continue }
            if let token {
                if !StoreKey.utf8Less(token, key) { continue }
                if skipUnderToken && key.hasPrefix(token) { continue }
            }
            var rolledUp: String?
            if let delimiter, !delimiter.isEmpty {
                let rest = key.dropFirst(prefix.count)
                if let cut = rest.range(of: delimiter) {
                    rolledUp = prefix + rest[rest.startIndex..<cut.upperBound]
                }
            }
            if let rolledUp, rolledUp == prefixes.last { continue }
            if objects.count + prefixes.count == limit {
                return ListPage(objects: objects, commonPrefixes: prefixes, nextToken: last)
            }
            if let rolledUp {
                prefixes.append(rolledUp)
                last = rolledUp
            } else {
                objects.append(object)
                last = key
            }
        }
        return ListPage(objects: objects, commonPrefixes: prefixes, nextToken: nil)
    }
}
