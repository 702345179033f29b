@testable import ObjectStore
import Testing

struct XMLTreeTests {
    @Test func readsListingsWithEntitiesAndNamespaces() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>true</IsTruncated>
            <Contents><Key>a&amp;b &lt;c&gt; &#x00E4;</Key><ETag>&quot;abc&quot;</ETag><Size>12</Size></Contents>
            <Contents><Key>d</Key><Size/></Contents><NextContinuationToken>tok==</NextContinuationToken></ListBucketResult>
            """
        let document = try #require(XMLElement.parse(Array(xml.utf8)))
        #expect(document.name == "ListBucketResult")
        #expect(document.all("Contents").map { $0.value("Key") } == ["a&b <c> ä", "d"])
        #expect(document.child("Contents")?.value("ETag") == "\"abc\"")
        #expect(document.value("NextContinuationToken") == "tok==")
        #expect(XMLElement.parse(Array("<a><b></a>".utf8)) == nil)
        #expect(XMLElement.escape("<&>") == "&lt;&amp;&gt;")
    }
}
