using System.Collections.Generic;
using System.Linq;
using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow
{
    /// <summary>Code that runs when the process is asked to end, and the signals on which it runs.</summary>
    internal sealed class CoveringPath
    {
        public CoveringPath(Signals signals, IOperation? body, int from, IMethodSymbol? method, IReadOnlyList<IMethodSymbol> disposedAfter)
        {
            Signals = signals;
            Body = body;
            From = from;
            Method = method;
            DisposedAfter = disposedAfter;
        }

        public Signals Signals { get; }

        /// <summary>
        /// Signals whose default action the handler cancels (<c>context.Cancel = true</c>, <c>e.Cancel = true</c>):
        /// the process then goes on to its normal exit, where the program's ordinary cleanup runs.
        /// </summary>
        public Signals Cancels => Body is not null && Body.DescendantsAndSelf().OfType<ISimpleAssignmentOperation>().Any(a =>
            a.Target is IPropertyReferenceOperation { Property.Name: "Cancel" } && a.Value.ConstantValue is { HasValue: true, Value: true })
            ? Signals
            : Signals.None;

        /// <summary>The operations that run (a lambda body, the rest of Main after <c>host.Run()</c>), from <see cref="From"/> on.</summary>
        public IOperation? Body { get; }

        public int From { get; }

        /// <summary>A method that runs (a handler given as a method group, <c>StopAsync</c>).</summary>
        public IMethodSymbol? Method { get; }

        /// <summary><c>Dispose</c> methods of <c>using</c> declarations that end after the body (the host's <c>Run</c> returned).</summary>
        public IReadOnlyList<IMethodSymbol> DisposedAfter { get; }

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

        /// <summary>An executable owns its process's lifetime (signals, children); a library never does.</summary>
        public static bool IsExecutable(Compilation compilation) =>
            compilation.Options.OutputKind is OutputKind.ConsoleApplication or OutputKind.WindowsApplication;

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
                    return Handler(TerminationHooks.FromPosixSignal(number), IdentityResolver.ArgumentFor(call.Arguments, 1));
                }

                case IInvocationOperation call when Find(call.TargetMethod, HookShape.CodeAfterCall) is { } hook:
                    return new CoveringPath(hook.Covers, IdentityResolver.Root(call), call.Syntax.Span.End, null, UsingsAround(call));

                case IInvocationOperation { TargetMethod.Name: "Register" } call when _cancellationToken is not null
                    && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _cancellationToken)
                    && call.Instance is not null && IdentityResolver.Strip(call.Instance) is IPropertyReferenceOperation token
                    && Find(token.Property, HookShape.TokenCallback) is { } hook && call.Arguments.Length > 0:
                    return Handler(hook.Covers, IdentityResolver.ArgumentFor(call.Arguments, 0));

                case IEventAssignmentOperation { Adds: true } assignment when assignment.EventReference is IEventReferenceOperation reference
                    && Find(reference.Event, HookShape.Event) is { } hook:
                    return Handler(hook.Covers, assignment.HandlerValue);

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
                        return new CoveringPath(hook.Covers, null, 0, method, new IMethodSymbol[0]);
                }
            }

            return null;
        }

        private static CoveringPath? Handler(Signals signals, IOperation handler)
        {
            if (signals == Signals.None)
                return null;
            handler = IdentityResolver.Strip(handler);
            if (handler is IDelegateCreationOperation creation)
                handler = IdentityResolver.Strip(creation.Target);
            return handler switch
            {
                IAnonymousFunctionOperation lambda => new CoveringPath(signals, lambda.Body, 0, null, new IMethodSymbol[0]),
                IMethodReferenceOperation reference => new CoveringPath(signals, null, 0, reference.Method, new IMethodSymbol[0]),
                // A handler stored elsewhere: it might do anything.
                _ => new CoveringPath(signals, null, 0, null, new IMethodSymbol[0]),
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
}
