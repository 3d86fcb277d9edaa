import CNCurses

/// A key press (or event) read from the terminal.
public enum Key: Hashable, Sendable {
    /// A printable character, including space.
    case character(Character)
    /// Ctrl with a letter, given in lower case: Ctrl-L is `.control("l")`. Ctrl-I, Ctrl-J and
    /// Ctrl-M arrive as `.tab` and `.enter`, as terminals send the same bytes.
    case control(Character)
    case up, down, left, right
    case home, end, pageUp, pageDown, insert, delete
    case tab
    /// Shift-Tab (`KEY_BTAB`).
    case backTab
    case enter
    case escape
    case backspace
    /// F1…F63.
    case function(Int)
    /// The terminal was resized; the new size.
    case resize(Size)
    /// No key arrived within the read timeout.
    case timeout
    /// A key code with no case here (the raw ncurses code).
    case unknown(Int)

    /// Ctrl-L, the conventional "redraw" key.
    public static let redraw = Key.control("l")

    /// The key for what `wget_wch` returned: `isKeyCode` when it returned `KEY_CODE_YES` (a
    /// function-key code in `code`), otherwise `code` is a character. `KEY_RESIZE` decodes to
    /// `.resize(.zero)`; `Terminal` fills in the size.
    public static func decode(isKeyCode: Bool, code: Int) -> Key {
        if isKeyCode {
            switch Int32(truncatingIfNeeded: code) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_IC: return .insert
            case KEY_DC: return .delete
            case KEY_BTAB: return .backTab
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            case KEY_RESIZE: return .resize(.zero)
            default:
                let f = code - Int(cn_key_f(0))
                return (1...63).contains(f) ? .function(f) : .unknown(code)
            }
        }
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .control(Character(Unicode.Scalar(UInt8(code) + 96)))
        case 0..<32: return .unknown(code)
        default:
            guard let scalar = Unicode.Scalar(UInt32(truncatingIfNeeded: code)) else { return .unknown(code) }
            return .character(Character(scalar))
        }
    }
}
