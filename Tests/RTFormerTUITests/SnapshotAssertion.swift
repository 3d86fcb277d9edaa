import Foundation
import RTFormerTUI
@_exported import TestSupport
import Testing

/// Compares the text rendering of `screen` (annotated with styles unless `annotated` is false)
/// with `__Snapshots__/NAME.txt` next to this file.
///
/// `assertTextSnapshot` does the rest: with `RTFORMER_RECORD_SNAPSHOTS=1` it records and fails.
func assertSnapshot(_ screen: Screen, named name: String, annotated: Bool = true,
                    filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) {
    assertTextSnapshot(annotated ? screen.annotatedText() : screen.plainText() + "\n", named: name, filePath: filePath,
                       sourceLocation: sourceLocation)
}
