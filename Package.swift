// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "baton",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "baton-scheduler", targets: ["BatonSchedulerDaemon"]),
        .executable(name: "baton-worker", targets: ["BatonWorkerDaemon"]),
        .executable(name: "baton", targets: ["BatonCLI"]),
        .executable(name: "baton-bench", targets: ["BatonBench"]),
        .executable(name: "baton-scripted-llm", targets: ["BatonScriptedLLMServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP/HTTP only: its gRPC exporter would build gRPC for nothing.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // C libraries, each seen only by its one wrapper module.
        .systemLibrary(
            name: "CRabbitMQ", path: "Sources/CRabbitMQ", pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(
            name: "CPostgres", path: "Sources/CPostgres", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "ThreadConfinement", swiftSettings: strict),
        .target(
            name: "ChildProcesses",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),
        .target(name: "BatonAMQP", dependencies: ["CRabbitMQ", "ThreadConfinement"], swiftSettings: strict),
        .target(name: "BatonPostgres", dependencies: ["CPostgres", "ThreadConfinement"], swiftSettings: strict),
        .target(name: "BatonHTTPClient", dependencies: ["CCurl"], swiftSettings: strict),

        .target(name: "BatonContracts", swiftSettings: strict),
        // Trace context across processes (W3C headers) and the spans' attribute names;
        // the tracer itself is chosen by the daemons (BatonDaemon, swift-otel).
        .target(
            name: "BatonTracing",
            dependencies: [.product(name: "Instrumentation", package: "swift-distributed-tracing")],
            swiftSettings: strict),
        // Who calls the API: roles, tenants, API keys and workflows' delegation tokens.
        .target(
            name: "BatonIdentity", dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .target(
            name: "BatonLifecycle",
            dependencies: [.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict),
        .target(name: "BatonWorkflow", dependencies: ["BatonContracts"], swiftSettings: strict),
        .target(name: "BatonAssistant", dependencies: ["BatonContracts", "BatonLLM"], swiftSettings: strict),
        .target(
            name: "BatonGraph",
            dependencies: ["BatonContracts", .product(name: "Tracing", package: "swift-distributed-tracing")],
            swiftSettings: strict),
        .target(
            name: "BatonLLM",
            dependencies: [
                "BatonContracts", "BatonHTTPClient", .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict),
        .target(
            name: "BatonScriptedLLM",
            dependencies: [
                "BatonContracts", "BatonLifecycle", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "BatonScriptedLLMServer",
            dependencies: [
                "BatonScriptedLLM", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict),
        .target(
            name: "BatonAgents", dependencies: ["BatonGraph", "BatonContracts", "BatonLLM"], swiftSettings: strict),
        .target(
            name: "BatonObservability",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        // The API's types, server stubs and client, generated from docs/openapi.yaml.
        .target(
            name: "BatonAPI",
            dependencies: ["BatonContracts", .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            // The generated files import modules publicly that some of them do not use;
            // the generator marks that as ignorable only for compilers from 6.4 on.
            swiftSettings: strict + [.unsafeFlags(["-suppress-warnings"])],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]),
        .target(
            name: "BatonSchedulerClient",
            dependencies: [
                "BatonContracts", "BatonHTTPClient", "BatonAPI", "BatonIdentity", "BatonTracing",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict),
        .target(
            name: "BatonConfiguration",
            dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),

        .target(
            name: "BatonScheduler",
            dependencies: [
                "BatonContracts", "BatonWorkflow", "BatonAMQP", "BatonPostgres", "BatonConfiguration", "BatonLifecycle",
                "BatonObservability", "BatonAPI", "BatonIdentity", "BatonHTTPClient", "BatonTracing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "BatonWorker",
            dependencies: [
                "BatonContracts", "BatonGraph", "BatonAgents", "BatonAMQP", "BatonConfiguration", "BatonLifecycle",
                "BatonLLM", "BatonSchedulerClient", "BatonTracing",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),

        .target(
            name: "BatonDaemon",
            dependencies: [
                "BatonConfiguration", "BatonObservability",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "BatonSchedulerDaemon",
            dependencies: [
                "BatonScheduler", "BatonDaemon", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "BatonWorkerDaemon",
            dependencies: [
                "BatonWorker", "BatonDaemon", "BatonLifecycle", "BatonObservability", "BatonConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "BatonCLI",
            dependencies: [
                "BatonContracts", "BatonSchedulerClient", "BatonAssistant", "BatonLLM", "BatonIdentity",
                "ChildProcesses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        .executableTarget(
            name: "BatonBench",
            dependencies: [
                "BatonGraph", "BatonContracts", "BatonHTTPClient", "BatonPostgres", "BatonAMQP", "BatonIdentity",
                "ChildProcesses", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // libFuzzer targets (`make fuzz`, docs/fuzzing.md). Built normally they replay
        // inputs from files; built with `-sanitize=fuzzer,address -DBATON_LIBFUZZER` they fuzz.
        .target(name: "BatonFuzzSupport", path: "Sources/BatonFuzz/Support", swiftSettings: strict),
        .executableTarget(
            name: "BatonFuzzJSON", dependencies: ["BatonContracts", "BatonFuzzSupport"], path: "Sources/BatonFuzz/JSON",
            swiftSettings: strict),
        .executableTarget(
            name: "BatonFuzzMessages", dependencies: ["BatonContracts", "BatonFuzzSupport"],
            path: "Sources/BatonFuzz/Messages",
            swiftSettings: strict),
        .executableTarget(
            name: "BatonFuzzStateMachine", dependencies: ["BatonContracts", "BatonWorkflow", "BatonFuzzSupport"],
            path: "Sources/BatonFuzz/StateMachine", swiftSettings: strict),
        .executableTarget(
            name: "BatonFuzzLLMStream", dependencies: ["BatonContracts", "BatonLLM", "BatonFuzzSupport"],
            path: "Sources/BatonFuzz/LLMStream", swiftSettings: strict),

        // Seeded random and mutated messages for the fuzz tests of several test targets.
        .target(
            name: "BatonFuzzMutations", dependencies: ["BatonContracts"], path: "Tests/Support/BatonFuzzMutations",
            swiftSettings: strict),
        // Test doubles shared by test targets: a recording TaskDelegate, a model that spends tokens.
        .target(
            name: "BatonTestSupport", dependencies: ["BatonContracts", "BatonLLM"],
            path: "Tests/Support/BatonTestSupport",
            swiftSettings: strict),
        .testTarget(
            name: "BatonContractsTests", dependencies: ["BatonContracts", "BatonFuzzMutations"], swiftSettings: strict),
        .testTarget(
            name: "BatonObservabilityTests",
            dependencies: ["BatonObservability", .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: strict),
        .testTarget(name: "BatonIdentityTests", dependencies: ["BatonIdentity"], swiftSettings: strict),
        .testTarget(name: "ChildProcessesTests", dependencies: ["ChildProcesses"], swiftSettings: strict),
        .testTarget(name: "BatonConfigurationTests", dependencies: ["BatonConfiguration"], swiftSettings: strict),
        .testTarget(name: "BatonSchedulerClientTests", dependencies: ["BatonSchedulerClient"], swiftSettings: strict),
        .testTarget(
            name: "BatonLLMTests",
            dependencies: [
                "BatonLLM", "BatonScriptedLLM", "BatonWorker", "BatonConfiguration", "BatonFuzzMutations",
                "ChildProcesses",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "BatonWorkflowTests", dependencies: ["BatonWorkflow", "BatonFuzzMutations"], swiftSettings: strict),
        .testTarget(
            name: "BatonSchedulerTests",
            dependencies: [
                "BatonScheduler", "BatonWorkflow", "BatonContracts", "BatonPostgres", "BatonFuzzMutations", "BatonAMQP",
                "BatonConfiguration", "BatonIdentity", "BatonHTTPClient", "BatonSchedulerClient", "BatonTracing",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strict),
        .testTarget(name: "BatonGraphTests", dependencies: ["BatonGraph", "BatonAgents"], swiftSettings: strict),
        .testTarget(name: "BatonWorkerTests", dependencies: ["BatonWorker", "BatonAMQP"], swiftSettings: strict),
        .testTarget(
            name: "BatonAgentsTests",
            dependencies: [
                "BatonAgents", "BatonGraph", "BatonLLM", "BatonScriptedLLM", "BatonContracts", "BatonTestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "BatonAssistantTests",
            dependencies: ["BatonAssistant", "BatonLLM", "BatonScriptedLLM", "BatonContracts", "BatonTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "BatonIntegrationTests",
            dependencies: [
                "BatonScheduler", "BatonWorker", "BatonAMQP", "BatonPostgres", "BatonHTTPClient", "BatonContracts",
                "BatonLifecycle", "BatonLLM", "BatonScriptedLLM", "BatonSchedulerClient", "BatonFuzzMutations",
                "BatonAssistant", "BatonIdentity", "ChildProcesses", "BatonConfiguration", "BatonObservability",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
    ]
)
