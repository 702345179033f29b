import CCurl
import COpenSSL
import CZlib
import Kafka

/// The native libraries actually loaded at run time (not the headers built against), for the
/// demo's report and bug reports.
enum LibraryVersions {
    static var all: [(name: String, version: String)] {
        [
            ("librdkafka", KafkaLibrary.version),
            // curl_version() reads "libcurl/7.88.1 OpenSSL/3.0.19 zlib/1.2.13 …"; its first word is libcurl's own.
            ("libcurl", String(cString: curl_version()).split(separator: " ").first.map { String($0.dropFirst("libcurl/".count)) } ?? "unknown"),
            ("zlib", String(cString: zlibVersion())),
            ("OpenSSL", String(cString: OpenSSL_version(OPENSSL_VERSION))),
        ]
    }
}
