// A temporary directory for unit tests that need real files, removed with
// everything in it at the end of the test.
//
//   TempDir dir;
//   std::string p = dir.write("c.yaml", "sources: []\n");
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "toolgate-unit-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  // Writes `content` to path/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream f(path / name, std::ios::binary);
    f << content;
    return (path / name).string();
  }
};
