/// The schema versions of Baton's messages. Bump `current` when a message changes
/// incompatibly, and keep reading the old one for at least one release.
public enum ContractVersion {
    public static let current = 1
    public static let supported = [1]

    /// The largest command or event Baton accepts (checkpoints included).
    public static let maximumMessageBytes = 8 * 1024 * 1024
}
