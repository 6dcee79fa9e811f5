using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow
{
    /// <summary>
    /// Reads integer flags and constants the way C code spells them: literals in any base (<c>0x200</c>,
    /// <c>512</c>), named constants, enum members, <c>|</c>, <c>&amp;</c>, <c>+</c>, and the constants of
    /// binding libraries that are properties rather than C# constants (<c>LibC.AF_INET</c>).
    /// </summary>
    internal static class ConstantFolder
    {
        public static bool TryFold(IOperation? value, CatalogView catalog, out long result) => TryFold(value, catalog, 0, out result);

        private static bool TryFold(IOperation? value, CatalogView catalog, int depth, out long result)
        {
            result = 0;
            if (value is null || depth > IdentityResolver.MaxDepth)
                return false;
            value = IdentityResolver.Strip(value);
            if (value.ConstantValue.HasValue)
                return TryInteger(value.ConstantValue.Value, out result);

            switch (value)
            {
                case IPropertyReferenceOperation property when catalog.IsBindingType(property.Property.ContainingType)
                    && ResourceCatalog.NativeConstants.TryGetValue(property.Property.Name, out var named):
                    result = named;
                    return true;
                case IBinaryOperation binary when TryFold(binary.LeftOperand, catalog, depth + 1, out var left) && TryFold(binary.RightOperand, catalog, depth + 1, out var right):
                    switch (binary.OperatorKind)
                    {
                        case BinaryOperatorKind.Or:
                            result = left | right;
                            return true;
                        case BinaryOperatorKind.And:
                            result = left & right;
                            return true;
                        case BinaryOperatorKind.Add:
                            result = left + right;
                            return true;
                        case BinaryOperatorKind.ExclusiveOr:
                            result = left ^ right;
                            return true;
                        default:
                            return false;
                    }

                default:
                    return false;
            }
        }

        private static bool TryInteger(object? constant, out long result)
        {
            switch (constant)
            {
                case int i:
                    result = i;
                    return true;
                case long l:
                    result = l;
                    return true;
                case uint u:
                    result = u;
                    return true;
                case short s:
                    result = s;
                    return true;
                case ushort us:
                    result = us;
                    return true;
                case byte b:
                    result = b;
                    return true;
                case bool flag:
                    result = flag ? 1 : 0;
                    return true;
                default:
                    result = 0;
                    return false;
            }
        }
    }
}
