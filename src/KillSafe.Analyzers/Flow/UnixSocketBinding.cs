using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>A call that binds a Unix domain socket to a path on disk, and the path it binds.</summary>
internal sealed class UnixSocketBinding
{
    private UnixSocketBinding(IInvocationOperation call, ResourceIdentity path, IOperation? pathExpression, bool pathMakesEndPoint)
    {
        Call = call;
        Path = path;
        PathExpression = pathExpression;
        PathMakesEndPoint = pathMakesEndPoint;
    }

    public IInvocationOperation Call { get; }

    /// <summary>The bound path; unknown when it cannot be traced (the socket is still known to be Unix).</summary>
    public ResourceIdentity Path { get; }

    /// <summary>The expression that gives the path (the endpoint's constructor argument), when found.</summary>
    public IOperation? PathExpression { get; }

    /// <summary>How to show the path in a message: its value when constant, else the expression as written.</summary>
    public string DisplayPath => Path.Constant is not null ? Path.Display : PathExpression?.Syntax.ToString() ?? Path.Display;

    /// <summary>True when <see cref="PathExpression"/> is the argument of a managed endpoint constructor.</summary>
    public bool PathMakesEndPoint { get; }

    /// <summary>
    /// Recognises <paramref name="call"/> as a bind of a Unix socket path (catalog rows of kind
    /// <see cref="ResourceKind.UnixSocketFile"/> and role <see cref="ApiRole.Create"/>). Abstract names
    /// (first byte <c>\0</c>) create no file and are not bindings in this sense (docs/linux-facts.md).
    /// </summary>
    public static UnixSocketBinding? TryCreate(IInvocationOperation call, IdentityResolver resolver)
    {
        var row = resolver.Catalog.Match(call.TargetMethod);
        if (row is not { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.Create } || row.IdentityArgument >= call.Arguments.Length)
            return null;
        var argument = IdentityResolver.ArgumentFor(call.Arguments, row.IdentityArgument);

        IOperation? pathExpression;
        bool pathMakesEndPoint = false;
        if (row.Shape == ApiShape.Native)
        {
            pathExpression = NativeSocketAddressPath(argument, resolver);
            if (pathExpression is null)
                return null; // a raw bind whose path cannot be traced: stay silent
        }
        else if (argument.Type?.SpecialType == SpecialType.System_String)
        {
            pathExpression = argument; // ListenUnixSocket(path)
        }
        else
        {
            // Socket.Bind(endpoint): a Unix socket only when the endpoint is a UnixDomainSocketEndPoint.
            var origin = resolver.Origin(argument);
            if (origin is IObjectCreationOperation { Constructor: { } ctor } creation
                && resolver.Catalog.Match(ctor) is { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.IdentityCarrier } carrier
                && carrier.IdentityArgument < creation.Arguments.Length)
            {
                pathExpression = IdentityResolver.ArgumentFor(creation.Arguments, carrier.IdentityArgument);
                pathMakesEndPoint = true;
            }
            else if (origin is IObjectCreationOperation { Constructor: { } own } ownCreation && IsOwnUnixEndPoint(own.ContainingType, resolver))
            {
                // The project's own endpoint for AF_UNIX: its string argument is the path. Socket.Dispose does
                // not remove a file bound through it (docs/linux-facts.md).
                pathExpression = ownCreation.Arguments.FirstOrDefault(a => a.Parameter?.Type.SpecialType == SpecialType.System_String)?.Value;
                if (pathExpression is null)
                    return new UnixSocketBinding(call, ResourceIdentity.Unknown(argument.Syntax.ToString()), null, false);
            }
            else if (IdentityResolver.Strip(argument).Type is { } endpointType && (IsUnixEndPoint(endpointType, resolver.Catalog) || IsOwnUnixEndPoint(endpointType, resolver)))
            {
                pathExpression = null;
            }
            else if (argument is IConversionOperation { OperatorMethod: { } conversion, Operand: { } wrapper } && IsUnixEndPointWrapper(conversion.ContainingType, resolver))
            {
                // A wrapper that converts itself to a UnixDomainSocketEndPoint: its Path property names the file.
                var path = conversion.ContainingType.GetMembers("Path").OfType<IPropertySymbol>().Any(p => p.Type.SpecialType == SpecialType.System_String)
                    ? resolver.Resolve(wrapper).WithMember("Path", wrapper.Syntax + ".Path")
                    : ResourceIdentity.Unknown(wrapper.Syntax.ToString());
                return new UnixSocketBinding(call, path, null, false);
            }
            else
            {
                return null;
            }
        }

        if (pathExpression is not null && IsAbstractName(resolver.Origin(pathExpression)))
            return null;
        var identity = pathExpression is null ? ResourceIdentity.Unknown(argument.Syntax.ToString()) : resolver.Resolve(pathExpression);
        return new UnixSocketBinding(call, identity, pathExpression, pathMakesEndPoint);
    }

    /// <summary>
    /// True when a managed <c>Socket.Bind(endpoint)</c> binds a Unix endpoint, abstract names included (for
    /// rules about TCP listeners, which must leave Unix sockets alone).
    /// </summary>
    public static bool BindsUnixEndPoint(IInvocationOperation call, IdentityResolver resolver)
    {
        if (call.Arguments.Length != 1)
            return false;
        var argument = call.Arguments[0].Value;
        return resolver.Origin(argument) is IObjectCreationOperation { Constructor: { } ctor } && resolver.Catalog.Match(ctor) is { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.IdentityCarrier }
            || (IdentityResolver.Strip(argument).Type is { } type && IsUnixEndPoint(type, resolver.Catalog));
    }

    // Bind takes an EndPoint, so the only identity carrier that can reach it is the Unix endpoint type.
    private static bool IsUnixEndPoint(ITypeSymbol type, CatalogView catalog) =>
        type.GetMembers(".ctor").OfType<IMethodSymbol>().Any(c => catalog.Match(c) is { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.IdentityCarrier });

    /// <summary>A type of the compilation derived from EndPoint whose AddressFamily is Unix.</summary>
    private static bool IsOwnUnixEndPoint(ITypeSymbol type, IdentityResolver resolver)
    {
        if (type.DeclaringSyntaxReferences.IsEmpty || !DerivesFrom(type, "System.Net.EndPoint"))
            return false;
        var family = type.GetMembers("AddressFamily").OfType<IPropertySymbol>().FirstOrDefault(p => p.IsOverride);
        if (family?.GetMethod?.DeclaringSyntaxReferences.FirstOrDefault() is not { } reference)
            return false;
        var body = resolver.OperationOf(reference.GetSyntax(resolver.CancellationToken));
        return body is not null && body.DescendantsAndSelf().OfType<IReturnOperation>().Any(r =>
            r.ReturnedValue is { } value && IdentityResolver.Strip(value) is IFieldReferenceOperation { Field: { Name: "Unix", ContainingType.Name: "AddressFamily" } });
    }

    /// <summary>A type of the compilation with a conversion to EndPoint that makes UnixDomainSocketEndPoints.</summary>
    private static bool IsUnixEndPointWrapper(INamedTypeSymbol type, IdentityResolver resolver) =>
        !type.DeclaringSyntaxReferences.IsEmpty
        && resolver.TypeBodies(type).Any(body => body.DescendantsAndSelf().OfType<IObjectCreationOperation>().Any(c =>
            c.Constructor is { } ctor && resolver.Catalog.Match(ctor) is { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.IdentityCarrier }));

    private static bool DerivesFrom(ITypeSymbol type, string baseName)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == baseName)
                return true;
        }

        return false;
    }

    /// <summary>Abstract socket names start with a NUL byte: no file exists, nothing to remove (docs/linux-facts.md).</summary>
    private static bool IsAbstractName(IOperation path)
    {
        switch (path)
        {
            case { ConstantValue: { HasValue: true, Value: string s } }:
                return s.Length > 0 && s[0] == '\0';
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } binary:
                return IsAbstractName(IdentityResolver.Strip(binary.LeftOperand));
            case IInterpolatedStringOperation interpolated:
                return interpolated.Parts.FirstOrDefault() is IInterpolatedStringTextOperation { Text: { ConstantValue: { HasValue: true, Value: string text } } }
                    && text.Length > 0 && text[0] == '\0';
            default:
                return false;
        }
    }

    /// <summary>
    /// The path in a raw <c>bind(fd, (sockaddr*)&amp;addr, len)</c>: <paramref name="address"/> must be a
    /// local <c>sockaddr_un</c>, and its <c>sun_path</c> is filled in the same method either by assigning a
    /// string (a marshalled struct) or from exactly one encoded string (<c>Encoding.UTF8.GetBytes(path)</c>).
    /// Anything else is "not traceable" and returns null.
    /// </summary>
    private static IOperation? NativeSocketAddressPath(IOperation address, IdentityResolver resolver)
    {
        var target = IdentityResolver.Strip(address);
        if (target is IAddressOfOperation addressOf)
            target = IdentityResolver.Strip(addressOf.Reference);
        if (target is not ILocalReferenceOperation { Local: { } local } || !IsSockaddrUn(local.Type))
            return null;

        var root = IdentityResolver.Root(address);
        IOperation? assigned = null;
        var encoded = new List<IOperation>();
        var encodedIntoAddress = new List<IOperation>();
        foreach (var operation in root.DescendantsAndSelf())
        {
            if (operation is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Field.Name: "sun_path", Instance: ILocalReferenceOperation owner } } assignment
                && SymbolEqualityComparer.Default.Equals(owner.Local, local)
                && assignment.Value.Type?.SpecialType == SpecialType.System_String)
            {
                assigned = assignment.Value;
            }
            else if (operation is IInvocationOperation invocation && resolver.Catalog.IsPathEncoder(invocation.TargetMethod) && invocation.Arguments.Length > 0)
            {
                var text = IdentityResolver.ArgumentFor(invocation.Arguments, 0);
                encoded.Add(text);
                // GetBytes(path, new Span<byte>(addr.sun_path, 108)) writes straight into the address.
                if (invocation.Descendants().OfType<ILocalReferenceOperation>().Any(r => SymbolEqualityComparer.Default.Equals(r.Local, local)))
                    encodedIntoAddress.Add(text);
            }
        }

        if (assigned is not null)
            return assigned;
        if (encodedIntoAddress.Count == 1)
            return encodedIntoAddress[0];
        var distinct = encoded.GroupBy(e => resolver.Resolve(e)).ToList();
        return distinct.Count == 1 && !distinct[0].Key.IsUnknown ? distinct[0].First() : null;
    }

    private static bool IsSockaddrUn(ITypeSymbol? type) =>
        type is not null && (string.Equals(type.Name, "sockaddr_un", StringComparison.OrdinalIgnoreCase) || type.GetMembers("sun_path").Any());
}
