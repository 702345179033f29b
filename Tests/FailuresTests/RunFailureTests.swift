import Failures
import Foundation
import Testing

@Suite struct RunFailureTests {
    struct Refused: ConfigurationReportingError, CustomStringConvertible {
        var isConfigurationError: Bool
        var description: String { "access denied" }
    }

    @Test func eachKindCarriesTheExitStatusOfTheContract() {
        #expect(RunFailure.invalidInput("x").exitStatus == 2)
        #expect(RunFailure.failure("x").exitStatus == 1)
        #expect(RunFailure.verifyFailed("x").exitStatus == 3)
        #expect(RunFailure.interrupted("x", by: "SIGINT").exitStatus == 130)
        #expect(RunFailure.interrupted("x", by: "SIGTERM").exitStatus == 143)
    }

    @Test func wrapKeepsARunFailureAndSortsOtherErrorsBySettings() {
        let kept = RunFailure.wrap(RunFailure.invalidInput("bad flag"), "backup")
        #expect(kept.kind == .invalidInput && kept.message == "bad flag")
        let settings = RunFailure.wrap(Refused(isConfigurationError: true), "list bucket")
        #expect(settings.kind == .invalidInput && settings.message == "list bucket: access denied")
        #expect(settings.cause is Refused)
        #expect(RunFailure.wrap(Refused(isConfigurationError: false), "list bucket").kind == .failure)
        #expect(RunFailure.wrap(CocoaError(.fileNoSuchFile), "read").kind == .failure)
    }
}
