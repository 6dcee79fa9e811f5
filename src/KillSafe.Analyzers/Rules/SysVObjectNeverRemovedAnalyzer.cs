using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS1001: a SysV shared memory segment, semaphore set or message queue is created (IPC_CREAT, or the key
/// IPC_PRIVATE, which always makes a new object) and never removed with IPC_RMID. SysV objects live in the
/// kernel until removed or reboot (svipc(7); docs/linux-facts.md), whatever ends the process.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SysVObjectNeverRemovedAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS1001";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "SysV IPC object created and never removed with IPC_RMID",
        messageFormat: "The {0} created by {1} stays in the kernel after the process dies, whatever ends it; remove it with {2}",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "SysV shared memory, semaphores and message queues outlive the process that made them until IPC_RMID removes them or the machine reboots. Mark shared memory for removal right after attaching (it goes away when the last process detaches, even after SIGKILL), or remove the object in Dispose.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        KernelObjectRule.Register(context, DiagnosticId, new[] { ResourceKind.SysVSharedMemory, ResourceKind.SysVSemaphore, ResourceKind.SysVMessageQueue }, (c, created) =>
        {
            var (what, removal) = created.Kind switch
            {
                ResourceKind.SysVSharedMemory => ("shared memory segment", "shmctl(IPC_RMID)"),
                ResourceKind.SysVSemaphore => ("semaphore set", "semctl(IPC_RMID)"),
                _ => ("message queue", "msgctl(IPC_RMID)"),
            };
            c.ReportDiagnostic(Diagnostic.Create(Rule, created.Operation.Syntax.GetLocation(), what, KernelObjectRule.ApiName(created), removal));
        });
    }
}
