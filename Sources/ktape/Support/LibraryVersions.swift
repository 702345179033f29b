import BuildInfo
import CCurl
import COpenSSL
import CZlib
import Kafka

/// The native libraries actually loaded at run time (not the headers built against), for
/// `--version`, the demo's report and bug reports.
enum LibraryVersions {
    static var all: [(name: String, version: String)] {
        [
            ("librdkafka", KafkaLibrary.version),
            // curl_version() reads "libcurl/7.88.1 OpenSSL/3.0.19 zlib/1.2.13 …"; its first word is libcurl's own.
            (
                "libcurl",
                String(cString: curl_version()).split(separator: " ").first.map { String($0.dropFirst("libcurl/".count)) } ?? "unknown"
            ),
            ("zlib", String(cString: zlibVersion())),
            ("OpenSSL", String(cString: OpenSSL_version(OPENSSL_VERSION_STRING)))
        ]
    }
}

/// `ktape --version`: the release, the commit it was built from, then the libraries it runs with
/// (a bug report needs all three, and the libraries come from the system, not the build).
enum KtapeVersion {
    static var text: String {
        (["ktape \(BuildInfo.version)", "commit \(BuildInfo.commit)"]
            + LibraryVersions.all.map { "\($0.name) \($0.version)" }).joined(separator: "\n")
    }
}
