import Testing
@testable import Layout

@Suite struct TopicConfigsTests {
    @Test func clusterDefaultsFollowKafkasSynonyms() {
        #expect(
            TopicConfigs.clusterDefault(of: "retention.ms", brokerConfigs: ["log.retention.ms": "100", "log.retention.hours": "1"]) == "100"
        )
        #expect(
            TopicConfigs.clusterDefault(of: "retention.ms", brokerConfigs: ["log.retention.minutes": "2", "log.retention.hours": "1"])
                == "120000")
        #expect(TopicConfigs.clusterDefault(of: "retention.ms", brokerConfigs: ["log.retention.hours": "168"]) == "604800000")
        #expect(TopicConfigs.clusterDefault(of: "max.message.bytes", brokerConfigs: ["message.max.bytes": "1048588"]) == "1048588")
        #expect(
            TopicConfigs.clusterDefault(of: "min.cleanable.dirty.ratio", brokerConfigs: ["log.cleaner.min.cleanable.ratio": "0.5"]) == "0.5"
        )
        #expect(TopicConfigs.clusterDefault(of: "retention.bytes", brokerConfigs: [:]) == nil)
        #expect(TopicConfigs.clusterDefault(of: "segment.jitter.ms", brokerConfigs: ["segment.jitter.ms": "1"]) == nil)
    }

    @Test func valuesCompareByMeaning() {
        #expect(TopicConfigs.sameValue("0.5", "0.50"))
        #expect(TopicConfigs.sameValue("compact,delete", "delete, compact"))
        #expect(!TopicConfigs.sameValue("compact", "delete"))
        #expect(!TopicConfigs.sameValue("100", "1000"))
    }

    @Test func theFaithfulSetHoldsWhatACopyNeeds() {
        for name in ["cleanup.policy", "retention.ms", "message.timestamp.type", "max.message.bytes", "min.compaction.lag.ms"] {
            #expect(TopicConfigs.faithful.contains(name), "\(name)")
        }
        #expect(TopicConfigs.essential == ["cleanup.policy"])
    }
}
