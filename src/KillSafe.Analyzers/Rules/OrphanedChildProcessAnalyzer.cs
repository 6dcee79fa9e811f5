using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules
{
    /// <summary>
    /// KS5001 (suggestion): a long-running executable starts a child process it never waits for and never kills.
    /// When the parent dies the kernel re-parents the child to init (or the nearest subreaper) and it runs on:
    /// nothing in Linux ends children with their parent unless asked (prctl(2) PR_SET_PDEATHSIG). Long-running
    /// means the program shows it: a host's Run/WaitForShutdown, an IHostedService, an endless loop, or an
    /// infinite wait. Short tools that launch a viewer and exit are not flagged.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class OrphanedChildProcessAnalyzer : DiagnosticAnalyzer
    {
        public const string DiagnosticId = "KS5001";

        internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
            DiagnosticId,
            title: "Child process that can outlive its parent",
            messageFormat: "'{0}' starts a child process that this long-running program never waits for or kills: when the program dies, the child is re-parented to init and runs on. Keep the Process and kill it (entireProcessTree: true) on shutdown.",
            category: RuleDescriptors.Reliability,
            severity: DiagnosticSeverity.Info,
            description: "Linux does not end children with their parent. A service that starts helpers and is stopped, restarted or killed leaves them running, holding ports, files and memory. Keep every Process, kill it with Kill(entireProcessTree: true) on shutdown (a PosixSignalRegistration or the host's ApplicationStopping), and wait for it.",
            compilationEnd: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterCompilationStartAction(start =>
            {
                if (!TerminationPaths.IsExecutable(start.Compilation))
                    return;
                var catalog = CatalogView.Create(start.Compilation, ResourceKind.ChildProcess);
                if (catalog is null)
                    return;
                var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
                var hooks = TerminationPaths.Create(start.Compilation);
                var orphans = new ConcurrentBag<Diagnostic>();
                int longRunning = 0;

                start.RegisterOperationAction(c =>
                {
                    if (System.Threading.Volatile.Read(ref longRunning) == 0 && LongRuns(c.Operation, hooks, catalog))
                        System.Threading.Interlocked.Exchange(ref longRunning, 1);
                    if (c.Operation is IInvocationOperation call && Orphan(c, call, catalog, cleanup) is { } diagnostic)
                        orphans.Add(diagnostic);
                }, OperationKind.Invocation, OperationKind.Loop);

                start.RegisterSymbolAction(c =>
                {
                    if (c.Symbol is IMethodSymbol method && hooks.FromImplementation(method) is not null)
                        System.Threading.Interlocked.Exchange(ref longRunning, 1); // an IHostedService: the host runs until stopped
                }, SymbolKind.Method);

                start.RegisterCompilationEndAction(end =>
                {
                    if (longRunning == 0)
                        return;
                    foreach (var diagnostic in orphans)
                        end.ReportDiagnostic(diagnostic);
                });
            });
        }

        /// <summary>Signs of a program that runs until stopped: an endless loop, an infinite wait, a host's Run.</summary>
        private static bool LongRuns(IOperation operation, TerminationPaths hooks, CatalogView catalog) => operation switch
        {
            IWhileLoopOperation { Condition: null or { ConstantValue: { HasValue: true, Value: true } } } => true,
            IForLoopOperation { Condition: null or { ConstantValue: { HasValue: true, Value: true } } } => true,
            IInvocationOperation wait when IsInfiniteWait(wait) => true,
            IInvocationOperation call => hooks.From(call, catalog) is { Signals: not Signals.None } path && path.Method is null && path.Body is not null && path.From > 0,
            _ => false,
        };

        private static bool IsInfiniteWait(IInvocationOperation wait)
        {
            var method = wait.TargetMethod;
            if (method.ContainingType is not { } type)
                return false;
            var typeName = type.OriginalDefinition.ToDisplayString();
            if (!TerminationHooks.InfiniteWaits.Any(w => w.Member == method.Name && w.Type == typeName))
                return false;
            return wait.Arguments.Length == 0 || wait.Arguments[0].Value.ConstantValue is { HasValue: true, Value: -1 };
        }

        private static Diagnostic? Orphan(OperationAnalysisContext context, IInvocationOperation call, CatalogView catalog, ImmutableHashSet<string> cleanup)
        {
            if (catalog.Match(call.TargetMethod) is not { Role: ApiRole.Create } row || call.SemanticModel is not { } model)
                return null;
            var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
            var child = row.IdentityArgument == ApiEntry.ReceiverIdentity
                ? (call.Instance is null ? ResourceIdentity.Unknown("process") : resolver.Resolve(call.Instance))
                : resolver.Resolve(call);
            if (child.IsUnknown)
                return null;
            // A Process kept in a field counts as reaped when any member of the type waits for it or kills it.
            var reaps = new ActionFinder(resolver, (_, r) => r.Role == ApiRole.Reap, configuredHelpers: cleanup);
            if (Precedence.ActionsAfter(call, context.ContainingSymbol, reaps).Any(r => r.IsUnknown || r.Equals(child)))
                return null;
            // Returned, stored in another object or passed to framework code (a list): its new owner decides.
            // A field of this type is not a hand-over: its waits and kills anywhere in the type count (above).
            if (HandOver.InMember(call, child.Equals, resolver, ownFields: false, frameworkCalls: true))
                return null;
            return Diagnostic.Create(Rule, call.Syntax.GetLocation(), "Process." + call.TargetMethod.Name);
        }
    }
}
