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
internal sealed class ApiEntry
{
    public ApiEntry(ResourceKind kind, ApiRole role, ApiShape shape, string name, string? containingType, int identityArgument, int parameterCount = -1, int levelArgument = -1, int optionArgument = -1, int valueArgument = -1, int flagsArgument = -1, string? requiredFlag = null, int keyArgument = -1)
    {
        FlagsArgument = flagsArgument;
        RequiredFlag = requiredFlag;
        KeyArgument = keyArgument;
        LevelArgument = levelArgument;
        OptionArgument = optionArgument;
        ValueArgument = valueArgument;
        Kind = kind;
        Role = role;
        Shape = shape;
        Name = name;
        ContainingType = containingType;
        IdentityArgument = identityArgument;
        ParameterCount = parameterCount;
    }

    public ResourceKind Kind { get; }

    public ApiRole Role { get; }

    public ApiShape Shape { get; }

    /// <summary>Member name (managed; <c>.ctor</c> for constructors) or C entry point (native).</summary>
    public string Name { get; }

    /// <summary>Metadata name of the containing type for managed entries; null for native ones.</summary>
    public string? ContainingType { get; }

    /// <summary>
    /// Index of the argument that names the resource; <see cref="ReceiverIdentity"/> when the
    /// identity is carried by the receiver (for example <c>new FileInfo(path).Delete()</c>).
    /// </summary>
    public int IdentityArgument { get; }

    /// <summary>Required parameter count, or -1 for any overload.</summary>
    public int ParameterCount { get; }

    public const int ReceiverIdentity = -1;

    /// <summary>The identity is the value the call returns (shmget's id), not one of its arguments.</summary>
    public const int ReturnIdentity = -2;

    /// <summary>
    /// For <see cref="ApiRole.Create"/> rows with a flags argument: its index, and the named flag that must be
    /// set for the call to create (IPC_CREAT, O_CREAT); for <see cref="ApiRole.Remove"/> rows of *ctl calls:
    /// the command argument and the command (IPC_RMID). -1 / null when the call always acts.
    /// </summary>
    public int FlagsArgument { get; }

    /// <summary>The flag or command, by its C name (looked up in <see cref="ResourceCatalog.NativeConstants"/>).</summary>
    public string? RequiredFlag { get; }

    /// <summary>For SysV creators: the key argument (IPC_PRIVATE, 0, always creates a new object).</summary>
    public int KeyArgument { get; }

    /// <summary>For <see cref="ApiRole.SetOption"/> and <see cref="ApiRole.Open"/> rows: the argument with the level (or address family); -1 when none.</summary>
    public int LevelArgument { get; }

    /// <summary>For <see cref="ApiRole.SetOption"/> rows: the option name (for <see cref="ApiRole.Open"/>: the socket type); -1 when none.</summary>
    public int OptionArgument { get; }

    /// <summary>For <see cref="ApiRole.SetOption"/> rows: the option value (for <see cref="ApiRole.Open"/>: the protocol); -1 when none.</summary>
    public int ValueArgument { get; }

    public override string ToString() => $"{Kind} {Role} {ContainingType}.{Name}";
}
