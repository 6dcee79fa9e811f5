using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS1002: POSIX named semaphore created and never sem_unlinked. POSIX IPC objects are named files in kernel file systems (/dev/shm, /dev/mqueue) that
/// outlive their creator until unlinked (sem_overview(7), shm_overview(7), mq_overview(7); docs/linux-facts.md).
/// Opening without O_CREAT attaches to an existing object and is not flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PosixSemaphoreNeverUnlinkedAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS1002";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "POSIX named semaphore created and never sem_unlinked",
        messageFormat: "The POSIX named semaphore '{0}' created by {1} stays in /dev/shm after the process dies; remove it with sem_unlink",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "A named semaphore made by sem_open with O_CREAT lives in /dev/shm (sem.NAME) until sem_unlink removes it, whatever ends the process. Unlink it once every process that needs it has opened it, or when the program shuts down.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        KernelObjectRule.Register(context, DiagnosticId, new[] { ResourceKind.PosixSemaphore }, (c, created) =>
            c.ReportDiagnostic(Diagnostic.Create(Rule, created.Operation.Syntax.GetLocation(), created.Display, KernelObjectRule.ApiName(created))));
    }
}
