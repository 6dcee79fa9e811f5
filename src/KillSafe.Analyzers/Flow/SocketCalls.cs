using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>How a socket was opened: <c>socket(domain, type, protocol)</c> or <c>new Socket(...)</c>, with the folded arguments.</summary>
/// <param name="Family">Address family; null when not a constant or not given (the two-argument Socket constructor is dual-mode IPv6).</param>
/// <param name="Type">Socket type with flags such as SOCK_CLOEXEC masked off; null when not a constant.</param>
/// <param name="Protocol">Protocol; null when not a constant.</param>
internal sealed record SocketOpening(IOperation Operation, bool IsManaged, long? Family, long? Type, long? Protocol, IOperation? ProtocolArgument)
{
    /// <summary>SOCK_STREAM / SocketType.Stream.</summary>
    public bool IsStream => Type == 1;
}

/// <summary>Socket questions that several rules ask, answered from the catalog's listening-socket rows.</summary>
internal static class SocketCalls
{
    // socket(2): the type argument may carry SOCK_NONBLOCK | SOCK_CLOEXEC; the type is the low bits.
    private const long SocketTypeMask = 0xF;

    /// <summary>The call that opened <paramref name="handle"/> (an fd or a Socket), or null when it cannot be followed.</summary>
    public static SocketOpening? OpeningOf(IOperation handle, IdentityResolver resolver)
    {
        var origin = resolver.Origin(handle);
        ApiEntry? row;
        System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments;
        switch (origin)
        {
            case IInvocationOperation invocation:
                row = resolver.Catalog.Match(invocation.TargetMethod);
                arguments = invocation.Arguments;
                break;
            case IObjectCreationOperation { Constructor: { } ctor } creation:
                row = resolver.Catalog.Match(ctor);
                arguments = creation.Arguments;
                break;
            default:
                return null;
        }

        if (row is not { Role: ApiRole.Open })
            return null;
        long? Fold(int index)
        {
            if (index < 0 || index >= arguments.Length)
                return null;
            return ConstantFolder.TryFold(IdentityResolver.ArgumentFor(arguments, index), resolver.Catalog, out var value) ? value : null;
        }

        var type = Fold(row.OptionArgument);
        return new SocketOpening(
            origin,
            row.Shape == ApiShape.Managed,
            Fold(row.LevelArgument),
            type is null ? null : type & SocketTypeMask,
            Fold(row.ValueArgument),
            row.ValueArgument >= 0 && row.ValueArgument < arguments.Length ? IdentityResolver.ArgumentFor(arguments, row.ValueArgument) : null);
    }

    /// <summary>
    /// The calls that opened <paramref name="handle"/>: the one it comes from, or, when it is a wrapper's field set
    /// from a constructor parameter (<c>class W { Socket s; W(Socket x) { s = x; } void Bind(EndPoint e) => s.Bind(e); }</c>),
    /// the sockets every <c>new W(...)</c> of the compilation passes in. Empty when none can be followed.
    /// </summary>
    public static List<SocketOpening> OpeningsOf(IOperation handle, IdentityResolver resolver)
    {
        if (OpeningOf(handle, resolver) is { } direct)
            return new List<SocketOpening> { direct };
        var result = new List<SocketOpening>();
        if (resolver.Origin(handle) is not IParameterReferenceOperation { Parameter: { ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor } constructor } parameter })
            return result;
        foreach (var (creation, _) in CallSites.Of(constructor, resolver) ?? new List<(IOperation, ISymbol?)>())
        {
            if (CallSite.Of(creation).Arguments.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter?.OriginalDefinition, parameter.OriginalDefinition)) is { } argument
                && OpeningOf(argument.Value, resolver) is { } opening)
                result.Add(opening);
        }

        return result;
    }

    /// <summary>The handle a catalog call acts on: its receiver (managed) or its identity argument (native).</summary>
    public static IOperation? HandleOf(IInvocationOperation call, ApiEntry row) =>
        row.IdentityArgument == ApiEntry.ReceiverIdentity
            ? call.Instance
            : row.IdentityArgument < call.Arguments.Length ? IdentityResolver.ArgumentFor(call.Arguments, row.IdentityArgument) : null;

    /// <summary>True when <paramref name="call"/> (a <see cref="ApiRole.SetOption"/> row) sets the option named <paramref name="option"/> (C name).</summary>
    public static bool SetsOption(IInvocationOperation call, ApiEntry row, string option, CatalogView catalog)
    {
        if (row.Role != ApiRole.SetOption || row.LevelArgument < 0 || row.OptionArgument < 0 || row.OptionArgument >= call.Arguments.Length)
            return false;
        var known = ResourceCatalog.SocketOptions.FirstOrDefault(o => o.Name == option);
        if (known is null)
            return false;
        long? level = row.Shape == ApiShape.Managed ? catalog.EnumValue(ResourceCatalog.SocketOptionLevelType, known.ManagedLevel) : known.NativeLevel;
        long? name = row.Shape == ApiShape.Managed ? catalog.EnumValue(ResourceCatalog.SocketOptionNameType, known.ManagedName) : known.NativeName;
        return ConstantFolder.TryFold(IdentityResolver.ArgumentFor(call.Arguments, row.LevelArgument), catalog, out var actualLevel) && actualLevel == level
            && ConstantFolder.TryFold(IdentityResolver.ArgumentFor(call.Arguments, row.OptionArgument), catalog, out var actualName) && actualName == name;
    }

    /// <summary>The value a <see cref="ApiRole.SetOption"/> call passes, or null.</summary>
    public static IOperation? OptionValue(IInvocationOperation call, ApiEntry row) =>
        row.ValueArgument >= 0 && row.ValueArgument < call.Arguments.Length ? IdentityResolver.ArgumentFor(call.Arguments, row.ValueArgument) : null;

    /// <summary>True when something in the body of <paramref name="call"/> or its type calls <c>listen</c> on <paramref name="socket"/>.</summary>
    public static bool ListensOn(IOperation call, ISymbol containing, ResourceIdentity socket, IdentityResolver resolver)
    {
        var finder = new ActionFinder(resolver, (_, row) => row.Role == ApiRole.Listen, unseenHelpersMayAct: false);
        var found = new List<ResourceIdentity>();
        finder.Collect(IdentityResolver.Root(call), int.MaxValue, found);
        if (found.Any(f => f.Equals(socket)))
            return true; // the usual case, decided without binding the rest of the type
        if (containing is IMethodSymbol { ContainingType: { } type })
        {
            foreach (var body in resolver.TypeBodies(type))
                finder.Collect(body, int.MaxValue, found);
        }

        return found.Any(f => f.Equals(socket));
    }
}
