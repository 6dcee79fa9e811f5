using System.Collections.Concurrent;
using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS4001: in an executable, a kernel-persistent object has a cleanup, but no code that runs on SIGTERM and
/// SIGINT reaches it. With no handler those signals end a .NET 10 process at once: no finally, no
/// ProcessExit, no Dispose (docs/signals.md). Covered are: <c>PosixSignalRegistration</c> handlers,
/// <c>Console.CancelKeyPress</c> (SIGINT, SIGQUIT), the Generic Host's shutdown paths (SIGTERM, SIGINT,
/// SIGQUIT), handlers that cancel the signal and let the program end normally, exit handlers (ProcessExit)
/// for the signals whose handler calls Environment.Exit, and a removal right after the creation
/// (mark-for-removal), which no signal can skip. Managed socket files count when the program shows it means
/// to remove them (docs/rules/KS4001.md). Libraries are never flagged: the application owns signal handling.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SignalPathMissesCleanupAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS4001";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Kernel object whose cleanup does not run on SIGTERM or SIGINT",
        messageFormat: "'{0}' creates {1} '{2}', and its cleanup does not run on {3}: without a handler the signal ends the process at once and the object stays behind. Run the cleanup from a PosixSignalRegistration for SIGTERM, SIGINT and SIGHUP.",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "SIGTERM (systemd, docker stop, kill), SIGINT (Ctrl+C) and SIGHUP (a closed terminal) end a .NET 10 process without running finally blocks, Dispose or ProcessExit unless a handler is registered. A kernel-persistent object (SysV or POSIX IPC, a socket file, even one whose managed Socket would delete it on Dispose) then stays behind. Register PosixSignalRegistration handlers (or use the Generic Host and add SIGHUP) that run the cleanup once.",
        compilationEnd: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (!TerminationPaths.IsProgram(start.Compilation, start.Options))
                return; // libraries are never flagged
            var catalog = CatalogView.Create(start.Compilation, PersistentObject.Kinds);
            if (catalog is null)
                return;
            var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
            var hooks = TerminationPaths.Create(start.Compilation);
            var candidates = new ConcurrentBag<(PersistentObject Created, bool CleanupShown)>();
            var paths = new ConcurrentBag<RecordedPath>();
            void Record(CoveringPath path, SemanticModel model, System.Threading.CancellationToken cancellationToken)
            {
                var resolver = new IdentityResolver(model, catalog, cancellationToken);
                paths.Add(new RecordedPath(path.Signals, path.Cancels, path.IsHostShutdown, path.EndsInNormalExit(resolver.BodyOf), path.Removals(PersistentObject.AnyRemovals(resolver, cleanup))));
            }

            start.RegisterOperationAction(c =>
            {
                if (Candidate(c, catalog, cleanup) is { } created)
                    candidates.Add(created);
                if (c.Operation.SemanticModel is { } model && hooks.From(c.Operation, catalog) is { } path)
                    Record(path, model, c.CancellationToken);
            }, OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.EventAssignment);

            start.RegisterOperationBlockAction(c =>
            {
                if (c.OwningSymbol is IMethodSymbol method && hooks.FromImplementation(method) is { } path && c.OperationBlocks.FirstOrDefault()?.SemanticModel is { } model)
                    Record(path, model, c.CancellationToken);
            });

            start.RegisterCompilationEndAction(end =>
            {
                var canceled = paths.Aggregate(Signals.None, (s, p) => s | p.Cancels);
                // Signals whose path ends in a normal exit (Environment.Exit in the handler, the host's shutdown):
                // the exit handlers (ProcessExit) run then, and what they remove is covered for those signals.
                var exiting = paths.Where(p => p.EndsInNormalExit).Aggregate(Signals.None, (s, p) => s | p.Signals);
                // The host's shutdown lets the program's own code end normally, with its using blocks and Dispose
                // calls: enough for a managed socket, whose Dispose removes the file.
                var hosted = paths.Where(p => p.IsHostShutdown).Aggregate(Signals.None, (s, p) => s | p.Signals);
                foreach (var (created, cleanupShown) in candidates)
                {
                    var exitRemoves = paths.Any(p => (p.Signals & Signals.Exit) != 0 && p.Removed.Any(created.IsNamedBy));
                    if (!cleanupShown && !exitRemoves)
                        continue; // a managed socket nobody means to remove: KS2001's business (stale file at start)
                    var covered = canceled | (created.ManagedSocket is null ? Signals.None : hosted);
                    foreach (var path in paths)
                    {
                        if (created.MayBeRemovedBy(path.Removed))
                            covered |= (path.Signals & Signals.Exit) != 0 ? path.Signals | exiting : path.Signals;
                    }

                    if ((covered & (Signals.Term | Signals.Int)) == (Signals.Term | Signals.Int))
                        continue;
                    end.ReportDiagnostic(Diagnostic.Create(Rule, created.Operation.Syntax.GetLocation(), created.Api, created.KindText, created.Display, Uncovered(covered)));
                }
            });
        });
    }

    /// <summary>A covering path as the end of the compilation weighs it.</summary>
    private sealed class RecordedPath
    {
        public RecordedPath(Signals signals, Signals cancels, bool isHostShutdown, bool endsInNormalExit, List<ResourceIdentity> removed)
        {
            Signals = signals;
            Cancels = cancels;
            IsHostShutdown = isHostShutdown;
            EndsInNormalExit = endsInNormalExit;
            Removed = removed;
        }

        public Signals Signals { get; }

        public Signals Cancels { get; }

        public bool IsHostShutdown { get; }

        public bool EndsInNormalExit { get; }

        /// <summary>What the path removes (unknown identities for code out of sight).</summary>
        public List<ResourceIdentity> Removed { get; }
    }

    /// <summary>"SIGTERM, SIGINT or SIGHUP": the signals of the three that end a process by default and are not covered.</summary>
    internal static string Uncovered(Signals covered)
    {
        var names = new List<string>();
        if ((covered & Signals.Term) == 0)
            names.Add("SIGTERM");
        if ((covered & Signals.Int) == 0)
            names.Add("SIGINT");
        if ((covered & Signals.Hup) == 0)
            names.Add("SIGHUP");
        return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[names.Count - 1];
    }

    /// <summary>
    /// A creation whose cleanup exists (outside finalizers) but is not a mark-for-removal right after it; null
    /// otherwise (no cleanup at all is KS1001-KS1004's and KS2002's business, finalizer-only cleanup KS4002's).
    /// A managed socket bound to a path is a candidate too, with <c>CleanupShown</c> when the program disposes it
    /// (a <c>using</c>, <c>Dispose</c>) or deletes its file after the bind; without, only an exit handler that
    /// removes it shows the intent (decided at compilation end).
    /// </summary>
    private static (PersistentObject Created, bool CleanupShown)? Candidate(OperationAnalysisContext context, CatalogView catalog, ImmutableHashSet<string> cleanup)
    {
        if (!CallSite.IsCreation(context.Operation, catalog) || context.Operation.SemanticModel is not { } model)
            return null;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        var created = PersistentObject.TryCreate(context.Operation, resolver, includeManagedSockets: true);
        if (created is null)
            return null;
        var finder = created.Removals(resolver, cleanup);
        var finalizerOnly = context.ContainingSymbol is IMethodSymbol { ContainingType: { } type } ? FinalizerReach.Methods(type, resolver) : new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var removed = Precedence.ActionsAfter(context.Operation, context.ContainingSymbol, finder,
            skipBody: body => FinalizerReach.DeclaredSymbol(body) is IMethodSymbol m && finalizerOnly.Contains(m));
        if (created.ManagedSocket is not null)
            return RemovedRightAfter(created, finder) ? null : (created, removed.Any(created.IsNamedBy) || created.DisposedByUsing());
        if (!removed.Any(created.IsNamedBy) || RemovedRightAfter(created, finder))
            return null;
        return (created, true);
    }

    /// <summary>
    /// True when the same body removes the object after creating it with nothing in between that can wait (a
    /// loop, an await, a waiting framework call, a call into the program's own code): no signal can come
    /// between them that matters, so the mark-for-removal idiom survives any signal, even SIGKILL.
    /// </summary>
    private static bool RemovedRightAfter(PersistentObject created, ActionFinder finder)
    {
        int end = created.Operation.Syntax.Span.End;
        int skipUntil = -1;
        foreach (var operation in IdentityResolver.Root(created.Operation).DescendantsAndSelf())
        {
            if (operation.Syntax.SpanStart < end || operation.Syntax.SpanStart < skipUntil)
                continue;
            if (operation is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                skipUntil = operation.Syntax.Span.End; // runs later, if ever: a handler is not "right after"
                continue;
            }

            if (operation is ILoopOperation or IAwaitOperation)
                return false;
            if (operation is not IInvocationOperation call)
                continue;
            var found = new List<ResourceIdentity>();
            finder.Collect(call, int.MaxValue, found);
            if (found.Any(created.IsNamedBy))
                return true;
            var method = call.TargetMethod;
            if (TerminationHooks.WaitingCalls.Contains(method.Name) || (!method.DeclaringSyntaxReferences.IsEmpty && !method.IsExtern && !method.IsPartialDefinition))
                return false;
        }

        return false;
    }
}
