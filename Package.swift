// swift-tools-version:6.0
import PackageDescription

/// Hot loops (LIF, TSBN, depthwise conv) need AVX2 + FMA; SwiftPM's default release target is
/// generic x86-64 (SSE2 only). `haswell` is the portable choice here (TOOLCHAIN §3).
let fastMath: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]

let package = Package(
    name: "RTFormerExplorer",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rtformer", targets: ["rtformer"]),
        .library(name: "RTFormer", targets: ["RTFormer"]),
        .library(name: "RTFormerSession", targets: ["RTFormerSession"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "CNCurses", path: "Sources/CNCurses"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG"),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4"),
        .target(
            name: "RTFormer",
            dependencies: [
                "COpenBLAS", "CPNG", "CJPEG", "CLZ4",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: fastMath
        ),
        .target(
            name: "RTFormerSession",
            dependencies: ["RTFormer"]
        ),
        .executableTarget(
            name: "rtformer",
            dependencies: [
                "RTFormer",
                "RTFormerSession",
                "RTFormerTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastMath
        ),
        // Structure-aware fuzzing of every reader (issue 16; Tests/Fuzz/run.sh, README "Fuzzing").
        .executableTarget(
            name: "rtformer-fuzz",
            dependencies: [
                "RTFormer",
                "RTFormerSession",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .target(
            name: "RTFormerTUI",
            dependencies: ["CNCurses", "RTFormer", "RTFormerSession"]
        ),
        // Test support: writes torch.save files (zip and legacy) as the public training scripts do.
        .target(
            name: "CheckpointWriter",
            dependencies: ["RTFormer", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Tests/CheckpointWriter"
        ),
        // Test support shared by every test target: the one `../shared` locator, the closeness
        // rule (`Tolerance`) as assertions, text snapshots that fail when they record.
        .target(
            name: "TestSupport",
            dependencies: ["RTFormer"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "RTFormerTests",
            dependencies: ["RTFormer", "CheckpointWriter", "TestSupport"]
        ),
        .testTarget(
            name: "RTFormerSessionTests",
            dependencies: ["RTFormerSession", "RTFormer", "CheckpointWriter", "TestSupport"]
        ),
        .testTarget(
            name: "rtformerCLITests",
            dependencies: ["rtformer", "RTFormer", "CheckpointWriter", "TestSupport"]
        ),
        .testTarget(
            name: "RTFormerTUITests",
            dependencies: ["RTFormerTUI", "RTFormerSession", "RTFormer", "TestSupport"],
            exclude: ["__Snapshots__"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
