import Foundation
import MSKIAM
import ObjectStore
import Testing

struct MSKRegionTests {
    let noFiles = ["AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"]

    @Test func regionComesFromMSKBrokerHostNames() {
        #expect(MSKRegion.region(ofHost: "b-1.cluster.abc123.c2.kafka.us-east-1.amazonaws.com") == "us-east-1")
        #expect(MSKRegion.region(ofHost: "boot-abcd.c1.kafka-serverless.eu-west-1.amazonaws.com") == "eu-west-1")
        #expect(MSKRegion.region(ofHost: "B-2.Cluster.X.C3.Kafka.CN-North-1.AmazonAWS.com.cn") == "cn-north-1")
        for other in [
            "kafka.team-a.internal", "127.0.0.1", "b-1.kafka.us-east-1.amazonaws.com.evil.example", "kafka.amazonaws.com",
            "b-1.kafka.us_east_1.amazonaws.com"
        ] {
            #expect(MSKRegion.region(ofHost: other) == nil, "\(other)")
        }
    }

    @Test func flagThenBrokersThenEnvironmentThenProfile() throws {
        let brokers = "b-1.c.abc.c2.kafka.eu-central-1.amazonaws.com:9098,b-2.c.abc.c2.kafka.eu-central-1.amazonaws.com:9098"
        #expect(
            try MSKRegion.resolve(flag: "ap-south-1", bootstrapServers: brokers, environment: noFiles)
                == ResolvedRegion(region: "ap-south-1", source: "--region"))
        var environment = noFiles
        environment["AWS_REGION"] = "us-west-2"
        #expect(
            try MSKRegion.resolve(flag: nil, bootstrapServers: brokers, environment: environment)
                == ResolvedRegion(region: "eu-central-1", source: "the broker host names"))
        #expect(
            try MSKRegion.resolve(flag: nil, bootstrapServers: "kafka.internal:9092", environment: environment)
                == ResolvedRegion(region: "us-west-2", source: "AWS_REGION"))
    }

    @Test func unknownOrAmbiguousRegionIsAClearError() throws {
        let none = try #require(throws: MSKIAMError.self) {
            try MSKRegion.resolve(flag: nil, bootstrapServers: "kafka.team-a.internal:9092", environment: noFiles)
        }
        #expect(none.description.hasPrefix("msk-iam needs the cluster's AWS region; tried: --region, the broker host names"))
        #expect(none.description.hasSuffix("(pass --region)"))
        let mixed = try #require(throws: MSKIAMError.self) {
            try MSKRegion.resolve(
                flag: nil, bootstrapServers: "b-1.x.kafka.us-east-1.amazonaws.com:9098,b-1.y.kafka.eu-west-1.amazonaws.com:9098",
                environment: noFiles)
        }
        #expect(mixed.description.contains("several regions (eu-west-1, us-east-1)"))
    }
}
