using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS4003: an attempt to handle SIGKILL or SIGSTOP. signal(7): "The signals SIGKILL and SIGSTOP cannot be
/// caught, blocked, or ignored." sigaction(2) fails with EINVAL, and .NET's
/// <c>PosixSignalRegistration.Create((PosixSignal)9, ...)</c> throws IOException "Invalid argument" (measured).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UncatchableSignalAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS4003";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "An attempt to handle SIGKILL or SIGSTOP",
        messageFormat: "'{0}' tries to handle {1}, which can never be caught: the handler never runs. Make cleanup survive SIGKILL instead (mark IPC objects for removal early, remove stale leftovers at start).",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "SIGKILL and SIGSTOP cannot be caught, blocked or ignored (signal(7)). sigaction fails with EINVAL and PosixSignalRegistration.Create throws IOException. Nothing in the process runs on SIGKILL: design cleanup so that it does not depend on running then.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
            CatalogView.RegisterOperationAction(start, ResourceKind.ProcessSignal, catalog => c => Analyze(c, catalog), OperationKind.Invocation));
    }

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog)
    {
        var call = (IInvocationOperation)context.Operation;
        if (catalog.Match(call.TargetMethod) is not { Role: ApiRole.HandleSignal } row || row.IdentityArgument >= call.Arguments.Length)
            return;
        if (!ConstantFolder.TryFold(IdentityResolver.ArgumentFor(call.Arguments, row.IdentityArgument), catalog, out var signal))
            return;
        string? name = signal == ResourceCatalog.NativeConstants["SIGKILL"] ? "SIGKILL"
            : signal == ResourceCatalog.NativeConstants["SIGSTOP"] ? "SIGSTOP"
            : null;
        if (name is not null)
            context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), call.TargetMethod.Name, name));
    }
}
