using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS1003: POSIX shared memory created and never unlinked. POSIX IPC objects are named files in kernel file systems (/dev/shm, /dev/mqueue) that
/// outlive their creator until unlinked (sem_overview(7), shm_overview(7), mq_overview(7); docs/linux-facts.md).
/// Opening without O_CREAT attaches to an existing object and is not flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PosixSharedMemoryNeverUnlinkedAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS1003";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "POSIX shared memory created and never unlinked",
        messageFormat: "The POSIX shared memory '{0}' created by {1} stays in /dev/shm after the process dies and keeps its memory; remove it with shm_unlink or File.Delete",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "Shared memory made by shm_open with O_CREAT, or any file created under /dev/shm, lives in RAM until it is unlinked, whatever ends the process. A full /dev/shm makes other programs fail.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        KernelObjectRule.Register(context, DiagnosticId, new[] { ResourceKind.PosixSharedMemory }, (c, created) =>
            c.ReportDiagnostic(Diagnostic.Create(Rule, created.Operation.Syntax.GetLocation(), created.Display, KernelObjectRule.ApiName(created))));
    }
}
