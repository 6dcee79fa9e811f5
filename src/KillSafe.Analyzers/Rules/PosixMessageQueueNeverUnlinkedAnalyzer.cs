using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS1004: POSIX message queue created and never mq_unlinked. POSIX IPC objects are named files in kernel file systems (/dev/shm, /dev/mqueue) that
/// outlive their creator until unlinked (sem_overview(7), shm_overview(7), mq_overview(7); docs/linux-facts.md).
/// Opening without O_CREAT attaches to an existing object and is not flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PosixMessageQueueNeverUnlinkedAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS1004";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "POSIX message queue created and never mq_unlinked",
        messageFormat: "The POSIX message queue '{0}' created by {1} stays in the kernel after the process dies; remove it with mq_unlink",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "A message queue made by mq_open with O_CREAT lives in the kernel (/dev/mqueue) until mq_unlink removes it, whatever ends the process.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        KernelObjectRule.Register(context, DiagnosticId, new[] { ResourceKind.PosixMessageQueue }, (c, created) =>
            c.ReportDiagnostic(Diagnostic.Create(Rule, created.Operation.Syntax.GetLocation(), created.Display, KernelObjectRule.ApiName(created))));
    }
}
