import Testing
@testable import RTFormerSession
