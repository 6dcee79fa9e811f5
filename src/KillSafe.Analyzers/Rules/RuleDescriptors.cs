using Microsoft.CodeAnalysis;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// Builds descriptors the same way for every rule: the help link always points at
/// <c>docs/rules/{id}.md</c> (tests check that the page exists and agrees with the descriptor).
/// </summary>
internal static class RuleDescriptors
{
    public const string DocsBaseUrl = DocsLink.Base + "/rules/";

    public const string Reliability = "Reliability";

    public static string HelpLink(string id) => DocsBaseUrl + id + ".md";

    /// <param name="compilationEnd">True for a rule that reports at compilation end (it needs the whole program): tagged so hosts know.</param>
#pragma warning disable RS0030 // the one factory of descriptors (BannedSymbols.txt)
    public static DiagnosticDescriptor Create(string id, string title, string messageFormat, string category, DiagnosticSeverity severity, string description, bool enabledByDefault = true, bool compilationEnd = false) =>
        compilationEnd
            ? new DiagnosticDescriptor(id, title, messageFormat, category, severity, enabledByDefault, description, HelpLink(id), WellKnownDiagnosticTags.CompilationEnd)
            : new DiagnosticDescriptor(id, title, messageFormat, category, severity, enabledByDefault, description, HelpLink(id));
#pragma warning restore RS0030
}
