# Multi-stage build of the service. Not exercised by CI here (no Docker engine on CI machines);
# see docs/operations.md.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Domain/Provisioning.Domain.csproj src/Domain/
COPY src/Application/Provisioning.Application.csproj src/Application/
COPY src/Infrastructure/Provisioning.Infrastructure.csproj src/Infrastructure/
COPY src/WebApi/Provisioning.WebApi.csproj src/WebApi/
RUN dotnet restore src/WebApi/Provisioning.WebApi.csproj --use-current-runtime
COPY src/ src/
# ReadyToRun: the service's and its packages' code (EF Core, Npgsql, ...) is compiled ahead of time, so a start does not
# JIT it first; it starts in about two thirds of the CPU time (docs/performance.md). Framework-dependent, as before.
# The commit and its date for `--version` and the start's log line (the build context has no .git, so without these the
# build says "no commit recorded"):
#   docker build --build-arg SOURCE_REVISION_ID="$(git rev-parse HEAD)" --build-arg COMMIT_DATE="$(git log -1 --format=%cI)" .
ARG SOURCE_REVISION_ID=""
ARG COMMIT_DATE=""
RUN dotnet publish src/WebApi/Provisioning.WebApi.csproj -c Release --no-restore --use-current-runtime --self-contained false \
      -p:PublishReadyToRun=true -p:SourceRevisionId="$SOURCE_REVISION_ID" -p:ProvisioningCommitDate="$COMMIT_DATE" -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
# Where compose.yaml has the root key file written (a named volume takes this folder's owner and mode when first mounted).
RUN mkdir /keys && chown app:app /keys && chmod 700 /keys
USER app
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["dotnet", "Provisioning.WebApi.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "Provisioning.WebApi.dll"]
