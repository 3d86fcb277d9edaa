/// The product version printed by `rtformer --version`.
public enum RTFormerVersion {
    public static let string = "0.1.0"
}
