using System.Collections.Concurrent;
using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS4004: a handler added to <c>AppDomain.ProcessExit</c> or the default context's
/// <c>AssemblyLoadContext.Unloading</c> in an executable for .NET 10 or later, where no path of the program
/// makes SIGTERM end in a normal exit. Since .NET 10 the runtime no longer handles SIGTERM (dotnet/runtime PR
/// 115494, the breaking-change page "sigterm-signal-handler"; docs/linux-facts.md): the kernel's default
/// action ends the process and the handler never runs. Paths that do lead to a normal exit: the Generic Host's
/// console lifetime (it registers SIGTERM when the host starts), a SIGTERM registration whose handler cancels
/// the signal or calls <c>Environment.Exit</c> (or might: its code is out of sight, or calls the program's own
/// code), a registration whose signal is not a constant, and native <c>signal</c>/<c>sigaction</c> calls for
/// SIGTERM. Libraries are never flagged: the application owns signal handling. Older target frameworks ran
/// ProcessExit on SIGTERM and are not flagged either.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ExitHandlerMissesSigtermAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS4004";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Exit handler that does not run on SIGTERM since .NET 10",
        messageFormat: "This '{0}' handler does not run on SIGTERM since .NET 10: the runtime no longer handles the signal, so 'docker stop', 'systemctl stop' and 'kill' end the process without running it{1}. Register SIGTERM with PosixSignalRegistration and call Environment.Exit(0) from the handler, or run the program in the Generic Host.",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "Up to .NET 9 the runtime handled SIGTERM and raised AppDomain.ProcessExit and AssemblyLoadContext.Unloading before the process ended. Since .NET 10 it does not (dotnet/runtime PR 115494): the kernel's default action ends the process at once and cleanup put in those handlers never runs on 'docker stop', 'systemctl stop' or 'kill'. The migration the .NET documentation gives is 'using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));' in Main: Environment.Exit then raises the exit handlers. Programs in the Generic Host need nothing: its console lifetime handles SIGTERM.",
        compilationEnd: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <summary>What the program does about SIGTERM, from the best to the worst for its exit handlers.</summary>
    private enum SigtermHandling
    {
        /// <summary>No registration of SIGTERM at all.</summary>
        None,

        /// <summary>A registration whose handler, in sight, certainly lets the signal's default action end the process.</summary>
        EndsWithSignal,

        /// <summary>A path that ends (or may end) in a normal exit, where the exit handlers run.</summary>
        NormalExit,
    }

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var compilation = start.Compilation;
            if (!TerminationPaths.IsProgram(compilation, start.Options))
                return; // libraries, test projects and Windows programs: the application (or runner) owns signal handling on Linux
            var words = SourceWords.For(compilation);
            if (!words.Mentions("ProcessExit") && !words.Mentions("Unloading"))
                return;
            if (!TargetRuntime.Of(compilation, start.Options).IgnoresSigterm)
                return; // up to .NET 9 the runtime ran ProcessExit on SIGTERM
            var catalog = CatalogView.Create(compilation, ResourceKind.ProcessSignal);
            if (catalog is null)
                return;
            var hooks = TerminationPaths.Create(compilation);
            var handlers = new ConcurrentBag<(Location Location, string Event)>();
            int handling = (int)SigtermHandling.None;
            void Raise(SigtermHandling seen)
            {
                int current;
                while ((current = System.Threading.Volatile.Read(ref handling)) < (int)seen
                    && System.Threading.Interlocked.CompareExchange(ref handling, (int)seen, current) != current)
                {
                }
            }

            start.RegisterOperationAction(c =>
            {
                if (c.Operation is IEventAssignmentOperation assignment && hooks.ExitEventOf(assignment) is { } exitEvent)
                {
                    handlers.Add((assignment.Syntax.GetLocation(), exitEvent.ContainingType.Name + "." + exitEvent.Name));
                    return;
                }

                if (Handling(c.Operation, hooks, catalog, c.CancellationToken) is { } seen)
                    Raise(seen);
            }, OperationKind.EventAssignment, OperationKind.Invocation, OperationKind.Invalid);

            start.RegisterOperationBlockAction(c =>
            {
                // IHostedService.StopAsync: the program runs in a host, whose console lifetime handles SIGTERM.
                if (c.OwningSymbol is IMethodSymbol method && hooks.FromImplementation(method) is { Signals: var signals } && (signals & Signals.Term) != 0)
                    Raise(SigtermHandling.NormalExit);
            });

            start.RegisterCompilationEndAction(end =>
            {
                var seen = (SigtermHandling)System.Threading.Volatile.Read(ref handling);
                if (seen == SigtermHandling.NormalExit)
                    return;
                var why = seen == SigtermHandling.EndsWithSignal
                    ? ", and the program's SIGTERM handler neither cancels the signal nor calls Environment.Exit, so the signal still ends the process when it returns"
                    : string.Empty;
                foreach (var (location, exitEvent) in handlers.OrderBy(h => h.Location.SourceTree?.FilePath).ThenBy(h => h.Location.SourceSpan.Start))
                    end.ReportDiagnostic(Diagnostic.Create(Rule, location, exitEvent, why));
            });
        });
    }

    /// <summary>What <paramref name="operation"/> does about SIGTERM, or null when it does nothing about it.</summary>
    private static SigtermHandling? Handling(IOperation operation, TerminationPaths hooks, CatalogView catalog, System.Threading.CancellationToken cancellationToken)
    {
        switch (operation)
        {
            case IInvalidOperation invalid:
                // A call that does not bind (a hosting package the analysis cannot see): host.Run() may be one.
                // Only on a receiver named like a host (host.Run(), app.RunAsync(), builder.Build().Run()).
                if (invalid.Syntax is not Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access })
                    return null;
                var receiver = access.Expression.ToString();
                return TerminationHooks.HostMethodNames.Contains(access.Name.Identifier.ValueText)
                    && (receiver.IndexOf("host", System.StringComparison.OrdinalIgnoreCase) >= 0 || receiver.IndexOf("app", System.StringComparison.OrdinalIgnoreCase) >= 0 || receiver.IndexOf("Build()", System.StringComparison.Ordinal) >= 0)
                    ? SigtermHandling.NormalExit
                    : null;
            case IInvocationOperation call:
                if (TerminationPaths.StartsHost(call.TargetMethod))
                    return SigtermHandling.NormalExit;
                if (catalog.Match(call.TargetMethod) is { Role: ApiRole.HandleSignal } row && row.IdentityArgument < call.Arguments.Length)
                {
                    // A signal that is not a constant may be SIGTERM; a native registration of SIGTERM is the
                    // program's own handling, whatever it does.
                    if (!ConstantFolder.TryFold(IdentityResolver.ArgumentFor(call.Arguments, row.IdentityArgument), catalog, out var signal))
                        return SigtermHandling.NormalExit;
                    if ((TerminationHooks.FromPosixSignal(signal) & Signals.Term) == 0)
                        return null;
                    if (row.Shape == ApiShape.Native)
                        return SigtermHandling.NormalExit;
                }

                break;
            default:
                return null;
        }

        if (hooks.From(operation, catalog) is not { } path || (path.Signals & Signals.Term) == 0 || operation.SemanticModel is not { } model)
            return null;
        var resolver = new IdentityResolver(model, catalog, cancellationToken);
        return path.MayEndInNormalExit(resolver.BodyOf) ? SigtermHandling.NormalExit : SigtermHandling.EndsWithSignal;
    }
}
