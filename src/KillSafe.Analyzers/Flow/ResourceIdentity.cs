using Microsoft.CodeAnalysis;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// What names a resource (a path, name, key or id), reduced to a key that two sites share when the
/// same value provably reaches both: a constant, a symbol (parameter, local, field, property) with an
/// optional member chain, or a pure call of such values. Unknown identities never compare equal.
/// </summary>
internal readonly struct ResourceIdentity : IEquatable<ResourceIdentity>
{
    private ResourceIdentity(string? key, string display, string? constant, ISymbol? root, string suffix)
    {
        Key = key;
        Display = display;
        Constant = constant;
        Root = root;
        Suffix = suffix;
    }

    /// <summary>The comparison key; null when the identity cannot be decided.</summary>
    public string? Key { get; }

    /// <summary>How to show the identity in a message.</summary>
    public string Display { get; }

    /// <summary>The value, when it is a compile-time constant.</summary>
    public string? Constant { get; }

    /// <summary>The symbol the key starts from (for mapping a helper's parameter to its argument).</summary>
    public ISymbol? Root { get; }

    /// <summary>The member chain after <see cref="Root"/>, such as <c>.SocketPath</c>.</summary>
    public string Suffix { get; }

    public bool IsUnknown => Key is null;

    public static ResourceIdentity Unknown(string display) => new ResourceIdentity(null, display, null, null, string.Empty);

    public static ResourceIdentity FromConstant(string value) =>
        new ResourceIdentity("const:" + value, value.Replace("\0", "\\0"), value, null, string.Empty);

    public static ResourceIdentity FromSymbol(ISymbol symbol, string display) =>
        new ResourceIdentity(SymbolKey(symbol), display, null, symbol, string.Empty);

    public static ResourceIdentity Composite(string key, string display) => new ResourceIdentity(key, display, null, null, string.Empty);

    /// <summary>This identity followed by a member access (<c>options.SocketPath</c>).</summary>
    public ResourceIdentity WithMember(string member, string display) =>
        IsUnknown ? Unknown(display) : new ResourceIdentity(Key + "." + member, display, null, Root, Suffix + "." + member);

    /// <summary>Replaces <see cref="Root"/> by <paramref name="replacement"/>, keeping the member chain.</summary>
    public ResourceIdentity Rebase(ResourceIdentity replacement) =>
        replacement.IsUnknown || Suffix.Length == 0
            ? replacement
            : new ResourceIdentity(replacement.Key + Suffix, replacement.Display + Suffix, null, replacement.Root, replacement.Suffix + Suffix);

    public bool Equals(ResourceIdentity other) => Key is not null && Key == other.Key;

    public override bool Equals(object? obj) => obj is ResourceIdentity other && Equals(other);

    public override int GetHashCode() => Key?.GetHashCode() ?? 0;

    public override string ToString() => Key ?? "<unknown " + Display + ">";

    private static string SymbolKey(ISymbol symbol)
    {
        var location = symbol.Locations.Length > 0 ? symbol.Locations[0] : null;
        var where = location is not null && location.IsInSource ? location.SourceTree!.FilePath + "#" + location.SourceSpan.Start : string.Empty;
        return symbol.Kind + ":" + symbol.ToDisplayString() + "@" + where;
    }
}
