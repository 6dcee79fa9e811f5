namespace KillSafe.Analyzers.Catalog;

/// <summary>How the catalog recognises a call.</summary>
internal enum ApiShape
{
    /// <summary>A managed method or constructor, by containing type metadata name and member name.</summary>
    Managed,

    /// <summary>
    /// A native function, by entry point name: a <c>[DllImport]</c> or <c>[LibraryImport]</c>
    /// declaration of a C library (<see cref="ResourceCatalog.NativeLibraries"/>), or a binding
    /// library that exposes it under its C name (<see cref="ResourceCatalog.NativeBindingTypes"/>).
    /// </summary>
    Native,
}

/// <summary>One row of the resource catalog: an API, what it does, and where the identity is.</summary>
/// <param name="Name">Member name (managed; <c>.ctor</c> for constructors) or C entry point (native).</param>
/// <param name="ContainingType">Metadata name of the containing type for managed entries; null for native ones.</param>
/// <param name="IdentityArgument">Index of the argument that names the resource; <see cref="ReceiverIdentity"/> when the identity is carried by the receiver (for example <c>new FileInfo(path).Delete()</c>).</param>
/// <param name="ParameterCount">Required parameter count, or -1 for any overload.</param>
/// <param name="LevelArgument">For <see cref="ApiRole.SetOption"/> and <see cref="ApiRole.Open"/> rows: the argument with the level (or address family); -1 when none.</param>
/// <param name="OptionArgument">For <see cref="ApiRole.SetOption"/> rows: the option name (for <see cref="ApiRole.Open"/>: the socket type); -1 when none.</param>
/// <param name="ValueArgument">For <see cref="ApiRole.SetOption"/> rows: the option value (for <see cref="ApiRole.Open"/>: the protocol); -1 when none.</param>
/// <param name="FlagsArgument">For <see cref="ApiRole.Create"/> rows with a flags argument: its index, and the named flag that must be set for the call to create (IPC_CREAT, O_CREAT); for <see cref="ApiRole.Remove"/> rows of *ctl calls: the command argument and the command (IPC_RMID). -1 / null when the call always acts.</param>
/// <param name="RequiredFlag">The flag or command, by its C name (looked up in <see cref="ResourceCatalog.NativeConstants"/>).</param>
/// <param name="KeyArgument">For SysV creators: the key argument (IPC_PRIVATE, 0, always creates a new object).</param>
internal sealed record ApiEntry(ResourceKind Kind, ApiRole Role, ApiShape Shape, string Name, string? ContainingType, int IdentityArgument, int ParameterCount = -1, int LevelArgument = -1, int OptionArgument = -1, int ValueArgument = -1, int FlagsArgument = -1, string? RequiredFlag = null, int KeyArgument = -1)
{
    public const int ReceiverIdentity = -1;

    /// <summary>The identity is the value the call returns (shmget's id), not one of its arguments.</summary>
    public const int ReturnIdentity = -2;

    public override string ToString() => $"{Kind} {Role} {ContainingType}.{Name}";
}
