import ObjectStore
import Testing

@Suite struct CredentialRegionTests {
    @Test func flagWinsOverEverything() throws {
        let home = try CredentialTempHome()
        try home.write(".aws/config", "[default]\nregion = eu-west-3\n")
        let environment = ["HOME": home.path, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"]
        #expect(
            try AWSRegion.resolve(flag: "ap-south-1", environment: environment) == ResolvedRegion(region: "ap-south-1", source: "--region"))
    }

    @Test func awsRegionBeatsDefaultRegionBeatsProfile() throws {
        let home = try CredentialTempHome()
        try home.write(".aws/config", "[default]\nregion = eu-west-3\n")
        var environment = ["HOME": home.path, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"]
        #expect(try AWSRegion.resolve(flag: nil, environment: environment) == ResolvedRegion(region: "eu-west-1", source: "AWS_REGION"))
        environment["AWS_REGION"] = nil
        #expect(
            try AWSRegion.resolve(flag: nil, environment: environment) == ResolvedRegion(region: "eu-west-2", source: "AWS_DEFAULT_REGION"))
        environment["AWS_DEFAULT_REGION"] = ""
        #expect(
            try AWSRegion.resolve(flag: "", environment: environment) == ResolvedRegion(region: "eu-west-3", source: "profile 'default'"))
    }

    @Test func selectedProfileRegionComesFromConfigFile() throws {
        let home = try CredentialTempHome()
        try home.write(".aws/config", "[default]\nregion = eu-west-3\n[profile backup]\nregion = sa-east-1 # São Paulo\n")
        let resolved = try AWSRegion.resolve(flag: nil, environment: ["HOME": home.path, "AWS_PROFILE": "backup"])
        #expect(resolved == ResolvedRegion(region: "sa-east-1", source: "profile 'backup'"))
    }

    @Test func fallsBackToUsEast1OrFailsWhenAsked() throws {
        let home = try CredentialTempHome()
        #expect(
            try AWSRegion.resolve(flag: nil, environment: ["HOME": home.path]) == ResolvedRegion(region: "us-east-1", source: "default"))
        #expect(throws: CredentialsError.self) { try AWSRegion.resolve(flag: nil, environment: ["HOME": home.path], defaultRegion: nil) }
    }
}
