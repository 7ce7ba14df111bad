using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// A request field that may be left out but is never null (<see cref="NotNullConverter{T}"/>). <paramref name="name"/> is
/// the field's JSON name at the top of the body, so that errors inside an object field keep their full path.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotNullAttribute(string name) : JsonConverterAttribute
{
    public override JsonConverter? CreateConverter(Type typeToConvert) =>
        (JsonConverter)Activator.CreateInstance(typeof(NotNullConverter<>).MakeGenericType(typeToConvert), name)!;
}
