using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

// The termination hooks of the catalog, resolved once per compilation like the catalog's own types (BannedSymbols.txt).
#pragma warning disable RS0030

namespace KillSafe.Analyzers.Flow;

/// <summary>Code that runs when the process is asked to end, and the signals on which it runs.</summary>
/// <param name="Shape">How the hook hands over its code: a signal registration, an event, the host's shutdown, ...</param>
/// <param name="Body">The operations that run (a lambda body, the rest of Main after <c>host.Run()</c>), from <see cref="From"/> on.</param>
/// <param name="Method">A method that runs (a handler given as a method group, <c>StopAsync</c>).</param>
/// <param name="DisposedAfter"><c>Dispose</c> methods of <c>using</c> declarations that end after the body (the host's <c>Run</c> returned).</param>
internal sealed record CoveringPath(HookShape Shape, Signals Signals, IOperation? Body, int From, IMethodSymbol? Method, IReadOnlyList<IMethodSymbol> DisposedAfter)
{
    /// <summary>True for the Generic Host's shutdown paths: the host stops, Main returns and the normal exit follows.</summary>
    public bool IsHostShutdown => Shape is HookShape.TokenCallback or HookShape.CodeAfterCall or HookShape.ImplementedMethod;

    /// <summary>
    /// Signals whose default action the handler cancels (<c>context.Cancel = true</c>, <c>e.Cancel = true</c>):
    /// the process then goes on to its normal exit, where the program's ordinary cleanup runs.
    /// </summary>
    public Signals Cancels => Body is not null && Body.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().Any(a =>
        a.Target is IPropertyReferenceOperation { Property.Name: "Cancel" } && a.Value.ConstantValue is { HasValue: true, Value: true })
        ? Signals
        : Signals.None;

    /// <summary>
    /// True when the path certainly ends in a normal exit, where <c>ProcessExit</c> handlers run: the host's
    /// shutdown, a handler that cancels the signal, or one that calls <c>Environment.Exit</c>.
    /// </summary>
    public bool EndsInNormalExit(System.Func<IMethodSymbol, IOperation?> bodyOf) =>
        IsHostShutdown || Cancels != Signals.None || HandlerOperations(bodyOf).Any(o => o is IInvocationOperation call && IsEnvironmentExit(call.TargetMethod));

    /// <summary>
    /// True unless the handler is in sight and certainly ends with the signal's default action: it neither
    /// cancels nor exits, and makes no call that could (the program's own code, an unresolved call, a wait
    /// until Main has returned).
    /// </summary>
    public bool MayEndInNormalExit(System.Func<IMethodSymbol, IOperation?> bodyOf)
    {
        if (EndsInNormalExit(bodyOf))
            return true;
        if (Body is null && (Method is null || bodyOf(Method) is null))
            return true; // a handler out of sight
        return HandlerOperations(bodyOf).Any(o => o is IInvalidOperation
            || (o is IInvocationOperation call && (!ActionFinder.IsFramework(call.TargetMethod) || TerminationHooks.WaitingCalls.Contains(call.TargetMethod.Name))));
    }

    private IEnumerable<IOperation> HandlerOperations(System.Func<IMethodSymbol, IOperation?> bodyOf)
    {
        var root = Body ?? (Method is null ? null : bodyOf(Method));
        return root is null ? Enumerable.Empty<IOperation>() : root.DescendantsAndSelf().Where(o => o.Syntax.SpanStart >= From);
    }

    private static bool IsEnvironmentExit(IMethodSymbol method) =>
        method.Name == ResourceCatalog.ProcessExitMethod && method.ContainingType?.ToDisplayString() == ResourceCatalog.ProcessExitType;

    /// <summary>What the path removes (through <paramref name="finder"/>), with an unknown identity for code it cannot see.</summary>
    public List<ResourceIdentity> Removals(ActionFinder finder)
    {
        var found = new List<ResourceIdentity>();
        if (Body is not null)
        {
            finder.Collect(Body, int.MaxValue, found, from: From);
            // Methods of other syntax trees are invisible to this tree's model: they might clean up anything.
            foreach (var call in Body.DescendantsAndSelf().OfType<IInvocationOperation>())
            {
                if (call.Syntax.SpanStart >= From && call.TargetMethod.DeclaringSyntaxReferences.Any(r => r.SyntaxTree != Body.Syntax.SyntaxTree))
                    found.Add(ResourceIdentity.Unknown(call.TargetMethod.Name));
            }
        }

        if (Method is not null)
            finder.CollectMethod(Method, found);
        else if (Body is null)
            found.Add(ResourceIdentity.Unknown("handler")); // a delegate from elsewhere: it might clean up anything
        foreach (var dispose in DisposedAfter)
            finder.CollectMethod(dispose, found);
        return found;
    }
}

/// <summary>
/// Finds the termination hooks of <see cref="TerminationHooks"/> in code: signal registrations, events,
/// host shutdown callbacks, the code after <c>host.Run()</c>, <c>IHostedService.StopAsync</c>.
/// </summary>
internal sealed class TerminationPaths
{
    private readonly Dictionary<INamedTypeSymbol, List<TerminationHook>> _byType;
    private readonly INamedTypeSymbol? _cancellationToken;
    private readonly IMethodSymbol? _dispose;

    private TerminationPaths(Dictionary<INamedTypeSymbol, List<TerminationHook>> byType, INamedTypeSymbol? cancellationToken, IMethodSymbol? dispose)
    {
        _byType = byType;
        _cancellationToken = cancellationToken;
        _dispose = dispose;
    }

    /// <summary>Assemblies of the test frameworks: a project that references one is a test project.</summary>
    private static readonly string[] TestFrameworks = { "xunit.core", "xunit.v3.core", "nunit.framework", "Microsoft.VisualStudio.TestPlatform.TestFramework", "TUnit.Core" };

    /// <summary>
    /// A program that owns its process's lifetime (signals, children) on Linux: an executable that is not a test
    /// project (its test runner owns the process) and not for Windows only. A library never does.
    /// </summary>
    public static bool IsProgram(Compilation compilation, AnalyzerOptions options)
    {
        if (compilation.Options.OutputKind is not (OutputKind.ConsoleApplication or OutputKind.WindowsApplication))
            return false;
        var global = options.AnalyzerConfigOptionsProvider.GlobalOptions;
        if (global.TryGetValue("build_property.IsTestProject", out var test) && test.Equals("true", System.StringComparison.OrdinalIgnoreCase))
            return false;
        if (compilation.ReferencedAssemblyNames.Any(a => TestFrameworks.Contains(a.Name)))
            return false;
        return !TargetRuntime.Of(compilation, options).WindowsOnly;
    }

    public static TerminationPaths Create(Compilation compilation)
    {
        var byType = new Dictionary<INamedTypeSymbol, List<TerminationHook>>(SymbolEqualityComparer.Default);
        foreach (var hook in TerminationHooks.All)
        {
            if (compilation.GetTypeByMetadataName(hook.Type) is not { } type)
                continue;
            if (!byType.TryGetValue(type, out var list))
                byType[type] = list = new List<TerminationHook>();
            list.Add(hook);
        }

        var dispose = compilation.GetTypeByMetadataName("System.IDisposable")?.GetMembers("Dispose").OfType<IMethodSymbol>().FirstOrDefault();
        return new TerminationPaths(byType, compilation.GetTypeByMetadataName("System.Threading.CancellationToken"), dispose);
    }

    private TerminationHook? Find(ISymbol member, HookShape shape) =>
        member.ContainingType is { } type && _byType.TryGetValue(type.OriginalDefinition, out var hooks)
            ? hooks.FirstOrDefault(h => h.Shape == shape && h.Member == member.Name)
            : null;

    /// <summary>The covering path that <paramref name="operation"/> (an invocation or event assignment) sets up, or null.</summary>
    public CoveringPath? From(IOperation operation, CatalogView catalog)
    {
        switch (operation)
        {
            case IInvocationOperation call when Find(call.TargetMethod, HookShape.SignalRegistration) is not null && call.Arguments.Length == 2:
            {
                if (!ConstantFolder.TryFold(IdentityResolver.ArgumentFor(call.Arguments, 0), catalog, out var number))
                    return null;
                return Handler(HookShape.SignalRegistration, TerminationHooks.FromPosixSignal(number), IdentityResolver.ArgumentFor(call.Arguments, 1));
            }

            case IInvocationOperation call when Find(call.TargetMethod, HookShape.CodeAfterCall) is { } hook:
                return new CoveringPath(hook.Shape, hook.Covers, IdentityResolver.Root(call), call.Syntax.Span.End, null, UsingsAround(call));

            case IInvocationOperation { TargetMethod.Name: "Register" } call when _cancellationToken is not null
                && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _cancellationToken)
                && call.Instance is not null && IdentityResolver.Strip(call.Instance) is IPropertyReferenceOperation token
                && Find(token.Property, HookShape.TokenCallback) is { } hook && call.Arguments.Length > 0:
                return Handler(hook.Shape, hook.Covers, IdentityResolver.ArgumentFor(call.Arguments, 0));

            case IEventAssignmentOperation { Adds: true } assignment when assignment.EventReference is IEventReferenceOperation reference
                && Find(reference.Event, HookShape.Event) is { } hook && RunsAtExit(reference):
                return Handler(hook.Shape, hook.Covers, assignment.HandlerValue);

            default:
                return null;
        }
    }

    /// <summary>The covering path of a method the host calls on shutdown (<c>StopAsync</c> of an IHostedService), or null.</summary>
    public CoveringPath? FromImplementation(IMethodSymbol method)
    {
        foreach (var hooks in _byType)
        {
            foreach (var hook in hooks.Value.Where(h => h.Shape == HookShape.ImplementedMethod))
            {
                if (hooks.Key.GetMembers(hook.Member).OfType<IMethodSymbol>().FirstOrDefault() is { } member
                    && method.ContainingType is { } type
                    && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method))
                    return new CoveringPath(hook.Shape, hook.Covers, null, 0, method, new IMethodSymbol[0]);
            }
        }

        return null;
    }

    /// <summary>
    /// The exit handlers that run at the normal exit (<see cref="Signals.Exit"/>): <c>AppDomain.ProcessExit</c>,
    /// and <c>Unloading</c> of the default load context only (a collectible context raises it when the
    /// program unloads it, which is not the end of the process). Other events: true.
    /// </summary>
    public static bool RunsAtExit(IEventReferenceOperation reference)
    {
        if (reference.Event.Name != "Unloading")
            return true;
        return reference.Instance is { } instance && IdentityResolver.Strip(instance) switch
        {
            IPropertyReferenceOperation { Property.Name: "Default" or "CurrentContextualReflectionContext" } => true,
            IInvocationOperation { TargetMethod.Name: "GetLoadContext" } => true,
            _ => false,
        };
    }

    /// <summary>The normal-exit event <paramref name="assignment"/> adds a handler to (ProcessExit, the default context's Unloading), or null.</summary>
    public IEventSymbol? ExitEventOf(IEventAssignmentOperation assignment) =>
        assignment is { Adds: true, EventReference: IEventReferenceOperation reference }
        && Find(reference.Event, HookShape.Event) is { Covers: Signals.Exit } && RunsAtExit(reference)
            ? reference.Event
            : null;

    /// <summary>True for a call that starts the Generic Host or the WebHost (<see cref="TerminationHooks.HostStarts"/>).</summary>
    public static bool StartsHost(IMethodSymbol method)
    {
        var type = method.ContainingType?.OriginalDefinition.ToDisplayString();
        foreach (var (hostType, member) in TerminationHooks.HostStarts)
        {
            if (method.Name == member && type == hostType)
                return true;
        }

        return false;
    }

    private static CoveringPath? Handler(HookShape shape, Signals signals, IOperation handler)
    {
        if (signals == Signals.None)
            return null;
        handler = IdentityResolver.Strip(handler);
        if (handler is IDelegateCreationOperation creation)
            handler = IdentityResolver.Strip(creation.Target);
        return handler switch
        {
            IAnonymousFunctionOperation lambda => new CoveringPath(shape, signals, lambda.Body, 0, null, new IMethodSymbol[0]),
            IMethodReferenceOperation reference => new CoveringPath(shape, signals, null, 0, reference.Method, new IMethodSymbol[0]),
            // A handler stored elsewhere: it might do anything.
            _ => new CoveringPath(shape, signals, null, 0, null, new IMethodSymbol[0]),
        };
    }

    /// <summary><c>using</c> declarations in scope of <paramref name="call"/>: disposed when the block ends after it.</summary>
    private IReadOnlyList<IMethodSymbol> UsingsAround(IOperation call)
    {
        var disposed = new List<IMethodSymbol>();
        if (_dispose is null)
            return disposed;
        foreach (var declaration in IdentityResolver.Root(call).DescendantsAndSelf().OfType<IUsingDeclarationOperation>())
        {
            if (declaration.Syntax.SpanStart >= call.Syntax.SpanStart || declaration.Parent is null || !declaration.Parent.Syntax.Span.Contains(call.Syntax.Span))
                continue;
            foreach (var declarator in declaration.DeclarationGroup.Declarations.SelectMany(d => d.Declarators))
            {
                if (declarator.Symbol.Type.FindImplementationForInterfaceMember(_dispose) is IMethodSymbol dispose)
                    disposed.Add(dispose);
            }
        }

        return disposed;
    }
}
