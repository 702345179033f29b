import Foundation
import KtapeTestSupport
import Testing
import JobFile
@testable import Layout
@testable import JobSpec

@Suite struct SampleJobTests {
    func spec(_ name: String, _ command: JobCommand, flags: JobDocument = JobDocument()) throws -> JobSpec {
        let document = try JobFileReader.parse(yaml: try JobFixtures.text(name), path: name).merging(flags)
        return try JobSpec(document: document, command: command)
    }

    @Test func scheduledSnapshot() throws {
        let job = try spec("nightly-snapshot.yaml", .backup)
        let backup = try #require(job.backup)
        #expect(job.common.store.value == .s3(bucket: "acme-kafka-backups", prefix: "prod"))
        #expect(job.common.storeLayout.runsFolder == "prod/_ktape/runs/")
        #expect(backup.topics?.value == ["orders", "payments", "_schemas"])
        #expect(backup.topics?.origin == .file(path: "nightly-snapshot.yaml", line: 11))
        #expect(backup.compression.value == .gzip)
        #expect(backup.partSize.value == 16 << 20)
        #expect(backup.maxObjectBytes.value == 512 << 20)
        #expect(backup.flushSize.value == 50_000)
        #expect(backup.concurrency == Setting(4, .default))
        #expect(backup.storageClass.value == .standardIA)
        #expect(backup.shardLabel == "all")
        #expect(job.common.kafkaProperties.value["sasl.password"] == "s3cr3t-from-a-secret")
        #expect(job.common.logFormat.value == .json)
        guard case .names(let groups)? = job.common.consumerGroups?.value else {
            Issue.record("consumer-groups should be a list of names")
            return
        }
        #expect(groups == ["billing", "shipping"])
    }

    @Test func migrationRestoreWithRename() throws {
        let job = try spec("migration-restore.yaml", .restore)
        let restore = try #require(job.restore)
        #expect(restore.rename?.value.route("orders") == "legacy.orders")
        let list = try #require(restore.topicRegexList?.value)
        #expect(list.topics == ["orders", "payments"])
        #expect(list.selects(fileName: "payments+3+0000000000.json", topic: "payments"))
        #expect(restore.createTopics.value)
        #expect(restore.replicationFactor?.value == 3)
        #expect(restore.fromTime?.value == 1_793_491_200_000)
        #expect(restore.toTime?.value == 1_795_523_354_000)
        guard case .regex(let regex)? = job.common.consumerGroups?.value else {
            Issue.record("consumer-groups should be a regex")
            return
        }
        #expect(regex.matches("billing-eu") && !regex.matches("xbilling-eu"))
    }

    @Test func crossAccountHandoffBothSides() throws {
        let sending = try spec("handoff-backup.yaml", .backup)
        #expect(sending.common.acl?.value == .bucketOwnerFullControl)
        #expect(sending.common.expectedBucketOwner?.value == "111122223333")
        #expect(sending.common.sse?.value == .kms)
        #expect(sending.common.mskIAM.value)
        #expect(sending.backup?.objectLock?.value == ObjectLock(mode: .governance, retainDays: 30))
        #expect(sending.backup?.shardLabel == "0/3")
        #expect(sending.backup?.selects(topic: "events.clicks") == true)
        #expect(sending.backup?.selects(topic: "other.events.clicks") == false)
        let receiving = try spec("handoff-restore.yaml", .restore)
        #expect(receiving.restore?.asOf?.value == RunID(rawValue: "20261124T122914.123Z-0of3-0a1b2c3d"))
        #expect(receiving.restore?.dryRun.value == true)
        #expect(receiving.restore?.stateDir?.value == "/var/lib/ktape/state")
        #expect(receiving.restore?.rename == nil)
    }

    @Test func flagsOverrideTheFileAndSayWhere() throws {
        var flags = JobDocument()
        flags.setFlag("flush-size", .scalar("7"))
        flags.setFlag("X", .map(["sasl.username": "other", "client.id": "ktape"]))
        let job = try spec("nightly-snapshot.yaml", .backup, flags: flags)
        #expect(job.backup?.flushSize == Setting(7, .flag))
        let properties = job.common.kafkaProperties.value
        #expect(properties["sasl.username"] == "other")
        #expect(properties["client.id"] == "ktape")
        #expect(properties["sasl.password"] == "s3cr3t-from-a-secret")
        flags.setFlag("part-size", .scalar("1048576"))
        #expect(throws: JobSpecError(location: "--part-size", reason: "must be at least 5 MiB (got 1048576)")) {
            try spec("nightly-snapshot.yaml", .backup, flags: flags)
        }
    }

    @Test func printedConfigMasksSecretsAndReadsBack() throws {
        let job = try spec("nightly-snapshot.yaml", .backup)
        let text = job.effectiveConfigText(masked: true)
        #expect(!text.contains("s3cr3t"))
        #expect(text.contains("sasl.password: \"***\""))
        #expect(text.contains("flush-size: 50000  # nightly-snapshot.yaml:17"))
        #expect(text.contains("concurrency: 4  # default"))
        #expect(!text.contains("topic-regex-list"))
        #expect(job.effectiveConfigText(masked: false).contains("s3cr3t-from-a-secret"))
        // The unmasked text is itself a valid job file with the same settings.
        let again = try JobSpec(
            document: try JobFileReader.parse(yaml: job.effectiveConfigText(masked: false), path: "printed.yaml"),
            command: .backup)
        #expect(again.backup?.partSize.value == job.backup?.partSize.value)
        #expect(again.backup?.topics?.value == job.backup?.topics?.value)
        #expect(again.common.kafkaProperties.value == job.common.kafkaProperties.value)
    }
}
